"""The debtor's space in the real browser, at a phone's size (390×844) and a desktop's: a debtor opens the link
an SMS carried (sent through cases.messaging, which issues it), answers the door's second factor (a wrong
postcode first), reads what is owed, and pays the next instalment of a plan by card through a local fake
Stripe; the payment is recorded only once the fake's signed webhook arrives, never by the return page. Another
debtor proposes a plan and opens a dispute with a PDF attached, when those pages are served.

axe-core (`make axe`) runs in every page visited, at both sizes: no violation of impact serious or critical.
The space's Content-Security-Policy (`script-src 'self'`) refuses an inline <script>, so axe is not added as
a script tag: its source is evaluated through the DevTools protocol (`page.evaluate`), which the page's CSP
does not govern, with the policy left on. Screenshots of every step land in test-artifacts/screenshots/.

The server's clock is set (time-machine, in this process: the live server and the fake Stripe run on threads
of it) to Monday 7 December 2026, 10:30 in Paris, within the hours SMS may be sent.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Browser, Page, expect

from money.online.fake_stripe import FakeStripe
from tests import factories
from tests.e2e.conftest import serve
from tests.e2e.helpers import ROOT, screenshot, squash

pytestmark = [pytest.mark.e2e, pytest.mark.no_db]

PARIS = ZoneInfo("Europe/Paris")
AXE = ROOT / ".cache" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")
SIZES = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1366, "height": 900}},
}
POSTCODE = "69003"  # factories.postal_address
TOKEN_IN_SMS = re.compile(r"(https?://[^/\s]+)(/espace/[A-Za-z0-9_-]{32})(?![A-Za-z0-9_-])")
WEBHOOK = "/webhooks/payments/stripe"


@dataclass(frozen=True)
class Debtor:
    case_id: int
    reference: str
    sms_base: str  # the site's address as the SMS printed it
    link_path: str  # /espace/<token>, from the SMS's text


@dataclass(frozen=True)
class SpaceWorld:
    url: str
    database: Path  # the live server's SQLite file, read to check what the pages left behind
    payers: dict[str, Debtor]  # a plan running, per size
    proposers: dict[str, Debtor]  # no plan yet, per size
    disputers: dict[str, Debtor]
    routes: frozenset[str]  # the space's endpoints the live app serves
    paths: frozenset[str]  # and their rules


def _debtor_with_sms(client, collector, first: str, last: str, phone: str, amount: int) -> tuple:
    """A consumer's case with a first notice, and the reminder SMS that carries the link to the space."""
    import sqlalchemy as sa

    from agency.db import db
    from agency.message_models import SmsMessage
    from cases.messaging.sms import send_case_sms

    debtor = factories.debtor(title="Mme", first_name=first, last_name=last)
    factories.postal_address(debtor)
    factories.contact(debtor, "phone", phone, label="mobile", status="valid", sms_consent=True, is_primary=True)
    case = factories.case(client, debtor, amounts=(amount,), opened_on=date(2026, 11, 2))
    case.status = "active"
    case.assigned_collector = collector
    factories.letter(case)
    action = send_case_sms(case, "reminder", actor=collector)
    db.session.flush()
    assert action.status == "done", f"the reminder was not sent: {action.status} {action.note}"
    body = db.session.scalar(sa.select(SmsMessage.body).where(SmsMessage.id == action.sms_message_id))
    found = TOKEN_IN_SMS.search(body)
    assert found, f"no link to the space in the SMS: {body}"
    return case, Debtor(case.id, case.reference, found.group(1), found.group(2))


def _seed(fake: FakeStripe) -> dict:
    from flask import current_app

    from agency.clock import today
    from agency.db import db
    from money.plans.plans import propose_plan, split

    # The live app's card payments go to the fake this module started, not to the embedded one.
    current_app.config.update(STRIPE_SECRET_KEY=fake.api_key, STRIPE_WEBHOOK_SECRET=fake.webhook_secret,
                              STRIPE_API_BASE=fake.url, STRIPE_MAX_RETRIES=0)
    factories.agency_profile()
    client = factories.client(code="DUPAIN", name="Boulangerie Dupain SAS")
    collector = factories.user("collector", email="space.collector@amiable.example.com", name="Camille Appel")
    payers, proposers, disputers = {}, {}, {}
    people = {"phone": (("Claire", "Moreau", "+33612300001"), ("Léa", "Fontaine", "+33612300002"),
                        ("Marc", "Petit", "+33612300005")),
              "desktop": (("Hugo", "Bernard", "+33612300003"), ("Inès", "Garnier", "+33612300004"),
                          ("Noé", "Lambert", "+33612300006"))}
    for size, (payer, proposer, disputer) in people.items():
        case, payers[size] = _debtor_with_sms(client, collector, *payer, amount=120_000)
        # Agreed on the phone with the collector: three monthly payments of 400 € from 10 December.
        propose_plan(case, total_cents=120_000, instalments=split(120_000, 3, date(2026, 12, 10)), actor=collector)
        _case, proposers[size] = _debtor_with_sms(client, collector, *proposer, amount=85_000)
        _case, disputers[size] = _debtor_with_sms(client, collector, *disputer, amount=64_990)
    assert today() == date(2026, 12, 7)
    db.session.commit()
    rules = [rule for rule in current_app.url_map.iter_rules() if rule.endpoint.startswith("debtor_space.")]
    return {"payers": payers, "proposers": proposers, "disputers": disputers,
            "routes": frozenset(r.endpoint for r in rules), "paths": frozenset(r.rule for r in rules)}


@pytest.fixture(scope="module")
def clock() -> Iterator[time_machine.Coordinates]:
    traveller = time_machine.travel(datetime(2026, 12, 7, 10, 30, tzinfo=PARIS), tick=True)
    yield traveller.start()
    traveller.stop()


@pytest.fixture(scope="module")
def fake_stripe() -> Iterator[FakeStripe]:
    fake = FakeStripe(api_key="sk_test_space_e2e", webhook_secret="whsec_space_e2e").start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def world(tmp_path_factory, clock, fake_stripe: FakeStripe) -> Iterator[SpaceWorld]:
    folder = tmp_path_factory.mktemp("e2e-debtor-space")
    with serve(folder, lambda: _seed(fake_stripe)) as (url, seeded):
        fake_stripe.webhook_url = url + WEBHOOK  # its payment page signs and POSTs events to the live server
        yield SpaceWorld(url=url, database=folder / "e2e.db", **seeded)


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make axe`")
    return AXE.read_text()


@pytest.fixture(params=list(SIZES))
def size(request) -> str:
    return request.param


@pytest.fixture
def page(browser: Browser, world: SpaceWorld, size: str) -> Iterator[Page]:
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", base_url=world.url, **SIZES[size])
    context.set_default_timeout(20_000)  # the machine is shared: patience, never a sleep
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


def check_accessibility(page: Page, axe_source: str, name: str) -> list[dict]:
    """Run axe-core in the page as it stands; fail on any serious or critical violation, return the other
    violations and what axe left undecided."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source)  # not a <script>: the space's CSP refuses inline scripts
    violations = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations', 'incomplete']});
        const brief = (v, incomplete) => ({id: v.id, impact: v.impact, help: v.help, incomplete,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || ''))});
        return result.violations.map(v => brief(v, false)).concat(result.incomplete.map(v => brief(v, true)));
    }""")
    # "incomplete": what axe could not decide alone (a contrast over an image, say), kept for a human to look at.
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS and not v["incomplete"]]
    assert not blocking, f"{name}: axe-core found\n" + json.dumps(blocking, ensure_ascii=False, indent=1)
    return violations


def step(page: Page, axe_source: str, size: str, name: str) -> Path:
    """Check the page's accessibility and keep its screenshot as `space-<size>-<name>.png`, and axe's lesser
    findings (moderate, minor) beside it as `.axe.json` for review."""
    others = check_accessibility(page, axe_source, f"{size} {name}")
    path = screenshot(page, f"space-{size}-{name}")
    path.with_suffix(".axe.json").write_text(json.dumps(others, ensure_ascii=False, indent=1))
    return path


def enter(page: Page, world: SpaceWorld, debtor: Debtor, axe_source: str, size: str, flow: str,
          wrong_first: bool = False) -> None:
    """Open the link from the SMS, answer the door (a wrong postcode first if asked); land on the case."""
    assert debtor.sms_base.startswith("http")
    page.goto(debtor.link_path)
    expect(page).to_have_url(f"{world.url}/espace/")  # the token left the address bar at once
    expect(page.get_by_test_id("space-door")).to_contain_text(debtor.reference)
    step(page, axe_source, size, f"{flow}-01-door")

    if wrong_first:
        page.get_by_label("Code postal de votre adresse").fill("75011")
        with page.expect_navigation():
            page.get_by_role("button", name="Continuer").click()
        expect(page.get_by_test_id("wrong-answer")).to_be_visible()
        expect(page.get_by_label("Code postal de votre adresse")).to_have_attribute("aria-invalid", "true")
        step(page, axe_source, size, f"{flow}-02-door-wrong")

    page.get_by_label("Code postal de votre adresse").fill("69 003")  # spaces do not matter
    with page.expect_navigation():
        page.get_by_role("button", name="Continuer").click()
    expect(page).to_have_url(f"{world.url}/espace/dossier/{debtor.case_id}")


def total(page: Page) -> str:
    return squash(page.get_by_test_id("space-total").inner_text())


def test_a_debtor_opens_the_sms_link_and_pays_the_next_instalment_by_card(
    page: Page, world: SpaceWorld, fake_stripe: FakeStripe, axe_source: str, size: str
):
    debtor = world.payers[size]
    enter(page, world, debtor, axe_source, size, "pay", wrong_first=True)
    assert total(page) == "1 200,00 €"
    expect(page.get_by_test_id("space-next-step")).to_contain_text(
        "Prochaine échéance de votre plan : 400,00 € au plus tard le 10 décembre 2026.")
    expect(page.get_by_test_id("space-instalment")).to_have_count(3)
    expect(page.get_by_test_id("space-invoice")).to_have_count(1)
    expect(page.get_by_test_id("space-letter")).to_have_count(1)
    step(page, axe_source, size, "pay-03-case")

    # Card: the next instalment, chosen already; the fake's page is Stripe's hosted page.
    with page.expect_navigation():
        page.get_by_test_id("pay-online").click()
    expect(page).to_have_url(f"{world.url}/espace/dossier/{debtor.case_id}/payer")
    instalment = page.get_by_label("La prochaine échéance de votre plan : 400,00 €, au plus tard le 10 décembre 2026")
    expect(instalment).to_be_checked()
    step(page, axe_source, size, "pay-04-choice")

    # The provider's event is held back: the debtor comes back before it, and the return page records nothing.
    fake_stripe.webhook_url = None
    with page.expect_navigation():
        page.get_by_role("button", name="Aller à la page de paiement sécurisé").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(fake_stripe.url)}/c/pay/cs_test_\w+$"))
    expect(page.locator("body")).to_contain_text("Amount: 400.00 EUR")
    screenshot(page, f"space-{size}-pay-05-provider")
    with page.expect_navigation():
        page.get_by_role("button", name="Pay 400.00 EUR").click()
    expect(page).to_have_url(re.compile(rf"/espace/dossier/{debtor.case_id}/payer/retour\?session_id=cs_test_\w+$"))
    expect(page.get_by_test_id("pay-return")).to_have_attribute("data-status", "pending")
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre paiement est en cours de confirmation")
    step(page, axe_source, size, "pay-06-return-pending")
    page.get_by_test_id("pay-refresh").click()
    expect(page.get_by_test_id("pay-return")).to_have_attribute("data-status", "pending")
    return_url = page.url
    page.goto(f"/espace/dossier/{debtor.case_id}")
    assert total(page) == "1 200,00 €"  # the redirect recorded nothing
    expect(page.get_by_test_id("space-payments")).to_have_count(0)

    # The signed event arrives: one payment, on the plan's first instalment.
    held = [d for d in fake_stripe.outbox if d.event["type"] == "checkout.session.completed"]
    assert len(held) == 1, [d.event["type"] for d in fake_stripe.outbox]
    fake_stripe.outbox.clear()
    fake_stripe.webhook_url = world.url + WEBHOOK
    assert fake_stripe.post(held[0])
    page.goto(return_url)
    expect(page.get_by_test_id("pay-return")).to_have_attribute("data-status", "paid")
    expect(page.get_by_test_id("pay-return")).to_contain_text(f"Votre paiement de 400,00 € est enregistré sur votre dossier {debtor.reference}.")
    step(page, axe_source, size, "pay-07-return-paid")

    with page.expect_navigation():
        page.get_by_role("link", name=f"Retour à votre dossier {debtor.reference}").click()
    assert total(page) == "800,00 €"
    expect(page.get_by_test_id("space-next-step")).to_contain_text("400,00 € au plus tard le 10 janvier 2027.")
    payments = page.get_by_test_id("space-payments").locator("li")
    expect(payments).to_have_count(1)
    expect(payments.first).to_contain_text("400,00 €")
    expect(page.get_by_test_id("space-instalment").first).not_to_contain_text("À venir")
    expect(page.get_by_test_id("space-receipt")).to_have_count(1)
    step(page, axe_source, size, "pay-08-case-paid")


def test_a_debtor_proposes_a_plan_within_the_mandate_and_it_runs_at_once(
    page: Page, world: SpaceWorld, axe_source: str, size: str
):
    debtor = world.proposers[size]
    enter(page, world, debtor, axe_source, size, "plan")
    assert total(page) == "850,00 €"
    with page.expect_navigation():
        page.get_by_test_id("space-propose-plan").click()
    expect(page).to_have_url(f"{world.url}/espace/dossier/{debtor.case_id}/echeancier")
    expect(page.get_by_label("Payer la totalité en plusieurs mensualités")).to_be_checked()
    step(page, axe_source, size, "plan-03-form")

    # A mistake first: named at its field and at the top, the input marked invalid.
    page.get_by_label("Nombre de mensualités").fill("0")
    page.get_by_label("Date du premier versement").fill("2026-12-14")
    with page.expect_navigation():
        page.get_by_test_id("plan-submit").click()
    expect(page.get_by_test_id("error-summary")).to_be_visible()
    expect(page.get_by_test_id("error-count")).to_be_visible()
    expect(page.get_by_label("Nombre de mensualités")).to_have_attribute("aria-invalid", "true")
    step(page, axe_source, size, "plan-04-errors")

    page.get_by_label("Nombre de mensualités").fill("3")
    page.get_by_label("Date du premier versement").fill("2026-12-14")
    with page.expect_navigation():
        page.get_by_test_id("plan-submit").click()
    state = page.get_by_test_id("space-plan-state")
    expect(state).to_have_attribute("data-status", "active")
    expect(state).to_contain_text("est accepté")
    expect(state.get_by_test_id("space-instalment")).to_have_count(3)
    expect(page.get_by_test_id("space-first-payment")).to_contain_text(
        "Réglez votre première échéance : 283,33 € avant le 14 décembre 2026")
    step(page, axe_source, size, "plan-05-agreed")

    page.goto(f"/espace/dossier/{debtor.case_id}")
    expect(page.get_by_test_id("space-next-step")).to_contain_text(
        "Prochaine échéance de votre plan : 283,33 € au plus tard le 14 décembre 2026.")
    expect(page.get_by_test_id("space-plan").get_by_test_id("space-instalment")).to_have_count(3)
    step(page, axe_source, size, "plan-06-case")


MINIMAL_PDF = b"""%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj
trailer << /Root 1 0 R >>
%%EOF
"""


def test_a_debtor_disputes_the_debt_attaching_a_pdf_and_the_case_is_held(
    page: Page, world: SpaceWorld, axe_source: str, size: str
):
    debtor = world.disputers[size]
    enter(page, world, debtor, axe_source, size, "dispute")
    assert total(page) == "649,90 €"
    with page.expect_navigation():
        page.get_by_test_id("space-explain").click()
    expect(page).to_have_url(f"{world.url}/espace/dossier/{debtor.case_id}/contester")
    step(page, axe_source, size, "dispute-03-page")

    part = page.get_by_test_id("space-part-dispute")
    part.locator("summary").click()
    form = part.get_by_test_id("dispute-form")
    form.get_by_label("Que contestez-vous ?").select_option(label="Tout le dossier")
    form.get_by_label("Motif").select_option(label="Le montant est erroné")
    form.get_by_label("Expliquez en quelques mots").fill("La facture compte deux fois la même livraison.")
    form.get_by_label("Un document qui le montre").set_input_files(
        {"name": "bon-de-livraison.pdf", "mimeType": "application/pdf", "buffer": MINIMAL_PDF})
    step(page, axe_source, size, "dispute-04-filled")
    with page.expect_navigation():
        form.get_by_role("button", name="Envoyer ma contestation").click()
    expect(page.get_by_test_id("space-sent")).to_have_attribute("data-sent", "dispute")
    expect(page.get_by_test_id("space-sent")).to_contain_text("Votre contestation est enregistrée.")
    step(page, axe_source, size, "dispute-05-sent")

    page.get_by_test_id("space-part-dispute").locator("summary").click()
    expect(page.get_by_test_id("space-already-disputed")).to_be_visible()
    page.goto(f"/espace/dossier/{debtor.case_id}")
    step(page, axe_source, size, "dispute-06-case")

    # The case is held by the dispute, and the PDF is stored as sent, tied to it.
    with sqlite3.connect(world.database) as db:
        status = db.execute("SELECT status FROM collection_case WHERE id = ?", (debtor.case_id,)).fetchone()
        holds = db.execute("SELECT id FROM hold WHERE case_id = ? AND kind = 'dispute' AND ended_at IS NULL",
                           (debtor.case_id,)).fetchall()
        documents = db.execute("SELECT hold_id, filename, sha256 FROM space_document WHERE case_id = ?",
                               (debtor.case_id,)).fetchall()
    assert status == ("dispute",) and len(holds) == 1
    assert documents == [(holds[0][0], "bon-de-livraison.pdf", hashlib.sha256(MINIMAL_PDF).hexdigest())]


def test_a_debtor_stops_sms_and_gives_a_new_number(page: Page, world: SpaceWorld, axe_source: str, size: str):
    debtor = world.payers[size]  # back after paying, through the same link
    enter(page, world, debtor, axe_source, size, "contact")
    with page.expect_navigation():
        page.get_by_test_id("space-contact").click()
    expect(page).to_have_url(f"{world.url}/espace/dossier/{debtor.case_id}/contact")
    expect(page.get_by_role("heading", level=1)).to_have_text("Comment vous contacter")
    step(page, axe_source, size, "contact-03-page")

    with page.expect_navigation():
        page.get_by_role("button", name="Ne plus recevoir de SMS").click()
    expect(page.get_by_test_id("space-sent")).to_have_attribute("data-sent", "stop")
    expect(page.get_by_test_id("sms-stopped")).to_be_visible()
    step(page, axe_source, size, "contact-04-sms-stopped")

    page.get_by_label("Votre numéro de téléphone").fill("06 12 34 00 99")
    with page.expect_navigation():
        page.get_by_role("button", name="Donner ce numéro").click()
    expect(page.get_by_test_id("space-sent")).to_have_attribute("data-sent", "phone")
    step(page, axe_source, size, "contact-05-new-number")
    with sqlite3.connect(world.database) as db:
        stopped = db.execute(
            "SELECT count(*) FROM contact_point cp JOIN collection_case c ON c.debtor_id = cp.debtor_id"
            " WHERE c.id = ? AND cp.kind = 'phone' AND cp.opted_out_at IS NOT NULL", (debtor.case_id,)).fetchone()
        given = db.execute(
            "SELECT count(*) FROM contact_point cp JOIN collection_case c ON c.debtor_id = cp.debtor_id"
            " WHERE c.id = ? AND cp.kind = 'phone' AND cp.value = '+33612340099'", (debtor.case_id,)).fetchone()
    assert stopped == (1,) and given == (1,)
