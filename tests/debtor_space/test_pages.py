"""What the space shows and serves: the letters' amounts, the documents of this case only, no other case, no
staff page, and the letter that prints the link and its QR code."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, date, datetime

import pytest
import segno
import sqlalchemy as sa

from agency.clock import today
from agency.money import format_money
from cases import ledger
from cases.interest.posting import post_interest
from cases.interest.rules import explain
from cases.letters.documents import amounts_due
from cases.messaging.space_links import find_link, update_settings
from cases.models.space_links import SpaceLink
from money.plans.documents import store_agreement
from money.plans.plans import propose_plan, split
from tests import factories
from tests.cases.interest.helpers import business_case
from tests.cases.letters.reading import pdf_text, word_box
from tests.conftest import csrf_token, login
from tests.debtor_space.conftest import POSTCODE, SIREN, csrf_of, enter, link_for, text_of

PARIS_NOON = datetime(2026, 3, 16, 11, 0, tzinfo=UTC)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_the_page_shows_the_amounts_as_the_letters_and_the_interest_engine_give_them(visitor, db_session, agency,
                                                                                    time_machine):
    time_machine.move_to(PARIS_NOON, tick=False)
    case = business_case([(1_000_000, date(2026, 1, 15)), (250_000, date(2026, 2, 1))], claims_indemnity=True)
    factories.postal_address(case.debtor)
    post_interest(today(), [case.id])
    factories.payment(case, 30_000)
    token = link_for(case)
    db_session.commit()
    assert enter(visitor, token, SIREN).status_code == 302
    page = text_of(visitor.get(f"/espace/dossier/{case.id}"))

    owed = amounts_due(ledger.balance(case.id))
    money = lambda cents: flat(format_money(cents, "EUR", locale="fr"))  # noqa: E731
    total = re.search(r'data-testid="space-total">([^<]+)<', page).group(1)
    assert total == money(owed.total) and owed.total == ledger.balance(case.id).outstanding
    amounts = page.split('data-testid="space-amounts"')[1].split("</table>")[0]
    for cents in (owed.principal, owed.interest, owed.other, owed.indemnity):
        assert money(cents) in amounts
    assert money(30_000) in page.split('data-testid="space-payments"')[1]  # the payment received
    for claim in explain(case, today()):
        invoice = page.split(f'data-invoice="{claim.reference}"')[1].split('data-testid="space-invoice"')[0]
        invoice = invoice.split('data-testid="space-amounts"')[0]
        start = claim.periods[0].start
        assert money(claim.posted_cents) in invoice and "12,15 %" in invoice
        assert f"depuis le {start.day} {['janvier', 'février'][start.month - 1]} 2026, au taux annuel de" in invoice
        assert money(4000) in invoice.split('data-testid="space-indemnity"')[1]  # the €40, per invoice
    assert "Les frais de recouvrement entrepris sans titre exécutoire restent à la charge du créancier" in page
    assert "FR76 3000 4008 0500 0112 2334 433" in page and case.reference in page.split('data-testid="space-bank"')[1]


def test_a_consumer_page_has_no_indemnity_and_names_the_creditor_and_the_agency(visitor, db_session, person_case):
    token = link_for(person_case)
    db_session.commit()
    enter(visitor, token)
    page = text_of(visitor.get(f"/espace/dossier/{person_case.id}"))
    assert 'data-testid="space-indemnity"' not in page and "dont indemnité" not in page
    who = page.split('data-testid="space-who"')[1]
    assert "Boulangerie Dupain SAS" in who and "Cabinet Arnaud Recouvrement" in who and "recouvrement amiable" in who
    assert "1 234,56 €" in page.split('data-testid="space-total"')[1][:40]


def _documents(case):
    """An issued letter, a payment with its receipt and a plan with its agreement letter, on `case`."""
    letter = factories.letter(case)
    payment = factories.payment(case, 10_000)
    plan = propose_plan(case, total_cents=ledger.balance(case.id).outstanding,
                        instalments=split(ledger.balance(case.id).outstanding, 3, today()), actor=None)
    store_agreement(plan)
    return letter, payment, plan


def test_the_debtor_downloads_this_cases_documents_checked_against_their_hash(visitor, db_session, person_case):
    letter, payment, plan = _documents(person_case)
    token = link_for(person_case)
    db_session.commit()
    enter(visitor, token)
    page = text_of(visitor.get(f"/espace/dossier/{person_case.id}"))
    assert 'data-testid="space-plan"' in page and page.count('data-testid="space-instalment"') == 3
    urls = re.findall(r'href="(/espace/dossier/\d+/[^"]+\.pdf)"', page)
    assert len(urls) == 3
    for url in urls:
        response = visitor.get(url)
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.headers["Repr-Digest"].startswith("sha-256=") and "no-store" in response.headers["Cache-Control"]
    assert letter.reference in pdf_text(visitor.get(urls[0]).data)


def test_a_document_whose_file_changed_is_not_served(app, visitor, db_session, person_case):
    letter = factories.letter(person_case)
    token = link_for(person_case)
    db_session.commit()
    from cases.letters.storage import documents_dir

    path = documents_dir() / letter.file_path
    original = path.read_bytes()
    path.chmod(0o644)
    path.write_bytes(original + b"%tampered")
    try:
        enter(visitor, token)
        response = visitor.get(f"/espace/dossier/{person_case.id}/courriers/{letter.id}.pdf")
    finally:
        path.write_bytes(original)
    assert response.status_code == 503 and 'data-kind="document_missing"' in text_of(response)


def _space_routes(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("debtor_space.")]


def test_a_debtor_reaches_no_other_case_on_any_route_of_the_space(app, visitor, db_session, person_case):
    # The same debtor's case for another client, and a stranger's case: nothing of either, by any route.
    same_debtor = factories.case(factories.client(), person_case.debtor, amounts=(50_000,))
    stranger = factories.case(factories.client(), factories.debtor(), amounts=(70_000,))
    documents = {case.id: _documents(case) for case in (same_debtor, stranger)}
    update_settings(link_days=30, group_cases=True, actor=factories.user("admin"))  # grouping never crosses clients
    token, other_token = link_for(person_case), link_for(stranger)
    db_session.commit()
    enter(visitor, token)
    token_of_own_page = csrf_of(visitor.get(f"/espace/dossier/{person_case.id}/echeancier").get_data(as_text=True))
    checked = set()
    for other in (same_debtor, stranger):
        letter, payment, plan = documents[other.id]
        values = {"case_id": other.id, "letter_id": letter.id, "payment_id": payment.id, "plan_id": plan.id}
        for rule in _space_routes(app):
            if not rule.arguments & set(values):
                continue
            for case_id in (other.id, person_case.id):  # the other case, and this case with the other's documents
                url = rule.build({**values, "case_id": case_id}, append_unknown=False)[1]
                if case_id == person_case.id and rule.arguments == {"case_id"}:
                    continue  # this visit's own pages
                assert visitor.get(url).status_code == 404, url
                if "POST" in rule.methods:  # the forms of the space: another case's answers nothing, writes nothing
                    assert visitor.post(url, data={"csrf_token": token_of_own_page}).status_code == 404, url
                checked.add(rule.endpoint)
    assert checked == {r.endpoint for r in _space_routes(app) if "case_id" in r.arguments}
    # Another case's link opens that case's door only: this visit ends, nothing of either case without its answer.
    assert visitor.get(f"/espace/{other_token}").status_code == 302
    assert visitor.get(f"/espace/dossier/{person_case.id}").headers["Location"] == "/espace/"
    assert visitor.get(f"/espace/dossier/{stranger.id}").headers["Location"] == "/espace/"
    assert visitor.post("/espace/", data={"answer": POSTCODE}).status_code == 400  # no CSRF token: refused


@pytest.mark.parametrize("grouping", [False, True])
def test_another_case_of_the_same_client_shows_only_when_the_agency_groups_them(visitor, db_session, person_case,
                                                                               grouping):
    sibling = factories.case(person_case.client, person_case.debtor, amounts=(5_000,))
    update_settings(link_days=30, group_cases=grouping, actor=factories.user("admin"))
    token = link_for(person_case)
    db_session.commit()
    enter(visitor, token)
    page = text_of(visitor.get(f"/espace/dossier/{person_case.id}"))
    assert ('data-testid="space-other-cases"' in page) is grouping
    assert visitor.get(f"/espace/dossier/{sibling.id}").status_code == (200 if grouping else 404)


def test_staff_pages_refuse_a_debtor_visit_and_entering_the_space_signs_staff_out(app, client, visitor, db_session,
                                                                                  person_case):
    anonymous = app.test_client()
    anonymous.environ_base["REMOTE_ADDR"] = visitor.environ_base["REMOTE_ADDR"]
    token = link_for(person_case)
    db_session.commit()
    enter(visitor, token)
    assert visitor.get(f"/espace/dossier/{person_case.id}").status_code == 200
    staff = [rule for rule in app.url_map.iter_rules()
             if "GET" in rule.methods and not rule.endpoint.startswith(("debtor_space.", "static", "bootstrap."))
             and rule.endpoint != "messaging.unsubscribe_page"]
    for rule in staff:
        values = {name: person_case.id for name in rule.arguments}
        url = rule.build(values, append_unknown=False)[1]
        response = visitor.get(url)
        # The visit grants nothing there: the page answers as to a browser nobody signed in to.
        assert response.status_code == anonymous.get(url).status_code, url
        if response.status_code == 302 and rule.endpoint != "index":
            assert "/login" in response.headers["Location"], url
        assert response.status_code != 200 or "space" not in url and person_case.reference not in text_of(response)
        enter(visitor, token)  # a staff page ends the visit: open it again for the next one
    assert visitor.get("/cases/").status_code == 302
    assert visitor.get(f"/espace/dossier/{person_case.id}").status_code == 403  # the staff page ended the visit

    collector = factories.user("collector")
    db_session.commit()
    assert login(client, collector.email).status_code == 302
    assert client.get("/cases/").status_code == 200
    client.get(f"/espace/{token}")
    assert client.get("/cases/").status_code == 302  # signed out on entering the space


def test_staff_revoke_a_cases_links_from_the_case_page(client, login_as, db_session, person_case):
    token = link_for(person_case, "email")
    db_session.commit()
    login_as("collector")
    page = client.get(f"/cases/{person_case.id}").get_data(as_text=True)
    assert 'data-testid="space-links"' in page and 'data-state="active"' in page
    assert client.post(f"/cases/{person_case.id}/space-links/revoke").status_code == 400  # no CSRF token
    assert find_link(token).revoked_at is None
    response = client.post(f"/cases/{person_case.id}/space-links/revoke",
                           data={"csrf_token": csrf_token(client, f"/cases/{person_case.id}")})
    assert response.status_code == 302
    db_session.expire_all()
    link = find_link(token)
    assert link.revoked_at is not None and link.revoked_by_id is not None
    from agency.models import AuditEvent
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "space_link.revoked"))
    assert event.after["links"] == str(link.id) and event.actor_id == link.revoked_by_id


def test_client_users_see_no_links_and_cannot_revoke_them(client, login_as, db_session, person_case):
    link_for(person_case)
    db_session.commit()
    login_as("client", client_row=person_case.client)
    assert 'data-testid="space-links"' not in client.get(f"/cases/{person_case.id}").get_data(as_text=True)
    assert client.post(f"/cases/{person_case.id}/space-links/revoke",
                       data={"csrf_token": csrf_token(client, "/cases/")}).status_code == 403


def test_an_admin_sets_how_long_links_live(client, login_as, db_session, person_case):
    login_as("admin")
    form = client.get("/admin/debtor-space").get_data(as_text=True)
    assert 'value="30"' in form
    refused = client.post("/admin/debtor-space", data={"link_days": "0", "csrf_token": csrf_of(form)})
    assert refused.status_code == 400
    saved = client.post("/admin/debtor-space", data={"link_days": "7", "group_cases": "y", "csrf_token": csrf_of(form)})
    assert saved.status_code == 302
    token = link_for(person_case)
    link = find_link(token)
    assert (link.expires_at - link.created_at).days == 7


def _qr_matches(png: str, expected: list[list[int]], box: tuple[float, float, float, float], dpi: int) -> bool:
    """Tell whether the page image holds, inside `box` (mm), the QR code whose modules are `expected`.

    Looks for the top-left finder pattern (a dark 7×7-module square) and reads every module's centre:
    what a scanner does, without a scanner's library."""
    from PIL import Image

    image = Image.open(png).convert("L")
    px = image.load()
    mm = dpi / 25.4
    left, top, right, bottom = (int(v * mm) for v in box)
    n = len(expected)
    dark = lambda x, y: px[x, y] < 128  # noqa: E731
    for y in range(top, bottom):
        for x in range(left, right):
            if not dark(x, y) or dark(x - 1, y) or dark(x, y - 1):
                continue
            run = 0
            while dark(x + run, y):
                run += 1
            module = run / 7
            if module < 2:
                continue
            size = module * n
            if x + size > image.width or y + size > image.height:
                continue
            read = [[int(dark(int(x + (c + 0.5) * module), int(y + (r + 0.5) * module))) for c in range(n)]
                    for r in range(n)]
            wrong = sum(a != b for row_a, row_b in zip(read, expected, strict=True) for a, b in zip(row_a, row_b, strict=True))
            if wrong <= n * n // 100:
                return True
    return False


def test_a_letter_prints_its_own_link_and_a_readable_qr_code(db_session, person_case, tmp_path):
    letter = factories.letter(person_case)
    [link] = db_session.scalars(sa.select(SpaceLink).where(SpaceLink.letter_id == letter.id)).all()
    assert link.channel == "letter" and link.case_id == person_case.id
    from cases.letters.storage import read_document

    pdf = read_document(letter.file_path, letter.sha256)
    text = pdf_text(pdf, first=1, last=2, layout=False)
    url = re.search(r"(https?://\S+/espace/[A-Za-z0-9_-]{32})", text.replace(" ", "")).group(1)
    token = url.rsplit("/", 1)[1]
    assert find_link(token).id == link.id  # the link printed is the one recorded for this letter
    assert "scannez ce code" in text
    page = 1 if "/espace/" in pdf_text(pdf, first=1, last=1, layout=False).replace(" ", "") else 2
    x, y = word_box(pdf, "scannez", page)
    dpi = 300
    subprocess.run(["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-png", "-singlefile", "-",
                    str(tmp_path / "page")], input=pdf, check=True)
    code = segno.make(url, error="m", micro=False)
    expected = [[int(bool(v)) for v in row] for row in code.matrix]
    assert _qr_matches(str(tmp_path / "page.png"), expected, (10, y - 30, 60, y + 15), dpi)
