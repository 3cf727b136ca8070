"""The administrator's menu, creating a user through the form, and the clients page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import screenshot, sign_in, sign_out

pytestmark = [pytest.mark.e2e, pytest.mark.no_db]

NEW_USER = {"name": "Nadia Nouvelle", "email": "nadia.nouvelle@example.com", "password": "Recouvrement-2026"}


def test_admin_creates_a_user_who_can_then_sign_in(page: Page, live_server):
    sign_in(page, live_server.admin)
    nav = page.get_by_test_id("main-nav")
    expect(nav.locator(".nav-link")).to_have_text(
        ["Dossiers", "Tableau de bord", "File de travail", re.compile("^Mes tâches"), "Remises", "Finances", "Clients",
         "Suivi", "Contentieux", "Audit", "Administration"]
    )
    menu = nav.get_by_test_id("admin-menu")
    expect(menu).to_be_hidden()
    nav.get_by_role("button", name="Administration").click()
    expect(menu).to_be_visible()
    expect(menu.locator("a")).to_have_text(["Utilisateurs", "Sécurité de la connexion", "Profil de l'agence", "Règles de contact", "Taux d'intérêt",
                                           "Chiffres de la loi", "Espace débiteur", "Données personnelles", "Système"])
    menu.get_by_role("link", name="Utilisateurs").click()
    page.wait_for_url("**/admin/users")
    expect(page.locator("main h1")).to_have_text("Utilisateurs")

    users = page.get_by_test_id("users")
    expect(users.locator("thead th")).to_have_text(["Nom", "E-mail", "Rôle", "Client", "Dernière connexion", "Statut",
                                                    "Actions"])
    expect(users.locator("tr", has_text=live_server.collector)).to_contain_text("Chargé de recouvrement")
    expect(users.locator("tr", has_text=live_server.client_a_user)).to_contain_text(
        re.compile(rf"Utilisateur client\s+{live_server.client_a}")
    )
    expect(users).not_to_contain_text(NEW_USER["email"])
    before = users.locator("tbody tr").count()
    screenshot(page, "users-admin")

    form = page.locator("form[action$='/admin/users']")  # each row has its own role form too
    form.get_by_label("Nom").fill(NEW_USER["name"])
    form.get_by_label("E-mail").fill(NEW_USER["email"])
    form.get_by_label("Rôle").select_option(label="Chargé de recouvrement")
    form.get_by_label("Client (utilisateurs clients uniquement)").select_option("0")
    form.get_by_label("Mot de passe").fill(NEW_USER["password"])
    form.get_by_role("button", name="Créer l'utilisateur").click()
    page.wait_for_url("**/admin/users")
    expect(page.locator(".alert-success")).to_have_text(f"Utilisateur {NEW_USER['email']} créé.")
    expect(users.locator("tbody tr")).to_have_count(before + 1)
    expect(users.locator("tr", has_text=NEW_USER["email"])).to_contain_text(
        re.compile(rf"{NEW_USER['name']}.*Chargé de recouvrement")
    )

    sign_out(page)
    sign_in(page, NEW_USER["email"], NEW_USER["password"])
    expect(page.get_by_test_id("whoami")).to_contain_text(NEW_USER["name"])
    expect(page.get_by_test_id("main-nav")).not_to_contain_text("Administration")  # a collector has none
    response = page.goto("/admin/users")
    assert response is not None and response.status == 403
    expect(page.locator("main")).to_contain_text("Vous n'avez pas le droit de consulter cette page.")


def test_admin_user_form_refuses_a_client_user_without_client(page: Page, live_server):
    sign_in(page, live_server.admin)
    page.goto("/admin/users")
    page.get_by_label("Nom").fill("Sans Client")
    page.get_by_label("E-mail").fill("sans.client@example.com")
    page.locator("#role").select_option(label="Utilisateur client")  # each user's row has a role list too
    page.get_by_label("Mot de passe").fill("Recouvrement-2026")
    page.get_by_role("button", name="Créer l'utilisateur").click()
    expect(page.locator("#client_id")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("#client_id ~ .invalid-feedback")).to_be_visible()
    expect(page.locator(".alert-success")).to_have_count(0)
    expect(page.get_by_test_id("users")).not_to_contain_text("sans.client@example.com")
    expect(page.locator("#name")).to_have_value("Sans Client")  # what was typed is kept
    expect(page.locator("#role")).to_have_value("client")
    screenshot(page, "users-admin-error")


def test_admin_user_form_errors_are_french(page: Page, live_server):
    sign_in(page, live_server.admin)
    page.goto("/admin/users")
    page.get_by_label("Nom").fill("Sans Client")
    page.get_by_label("E-mail").fill("sans.client@example.com")
    page.locator("#role").select_option(label="Utilisateur client")  # each user's row has a role list too
    page.get_by_label("Mot de passe").fill("Recouvrement-2026")
    page.get_by_role("button", name="Créer l'utilisateur").click()
    feedback = page.locator("#client_id ~ .invalid-feedback")
    expect(feedback).to_be_visible()
    assert "a client user needs a client" not in feedback.inner_text()  # the English message of UserError
    expect(feedback).to_contain_text("utilisateur client")


def test_clients_page_lists_clients_and_mandates(page: Page, live_server):
    sign_in(page, live_server.admin)
    page.get_by_test_id("main-nav").get_by_role("link", name="Clients").click()
    page.wait_for_url("**/clients")
    expect(page.locator("main h1")).to_have_text("Clients")
    cards = page.get_by_test_id("client")
    expect(cards).to_have_count(2)
    expect(cards.first).to_contain_text(live_server.client_a)  # sorted by name
    expect(cards.nth(1)).to_contain_text(live_server.client_b)
    mandate = cards.first.locator("tbody tr")
    expect(mandate).to_have_count(1)
    expect(mandate).to_contain_text(re.compile(r"15\s%\sHT"))  # commission_bp 1500
    expect(mandate).to_contain_text("mensuel, sous 30 jours")
    expect(mandate).to_contain_text("en vigueur")
    screenshot(page, "clients")
    cards.first.get_by_role("link", name="Dossiers").click()
    page.wait_for_url(re.compile(r"/cases/\?client=\d+$"))
    expect(page.get_by_test_id("case-count")).to_have_text(f"{len(live_server.cases_a)} dossiers")
    expect(page.locator("#client option:checked")).to_have_text(live_server.client_a)
