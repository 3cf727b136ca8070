"""A debtor's personal data: the access export, the retention run's anonymisation, and erasure."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from agency.clock import today
from agency.db import db
from agency.message_models import EmailMessage, SmsMessage
from agency.models import AuditEvent
from agency.storage import get_store
from cases.attachments.attachments import add_attachment, add_debtor_attachment
from cases.closing.closing import close_case
from cases.ledger import balances
from cases.messaging.space_links import issue_link, new_token
from cases.models import Action, Case, Claim, LedgerEntry, Promise
from cases.models.space_links import SpaceLink
from cases.notes.notes import add_case_note, add_debtor_note
from cases.notes.tasks import create_rule_task
from debtors.holds import put_on_hold
from debtors.models import ContactPoint, Debtor, DebtorReference
from money.models import AuditScrub, Payment, Remittance
from money.personal_data.anonymise import ErasureRefused, anonymise, erase
from money.personal_data.export import export_archive
from money.personal_data.jobs import anonymise_expired_job
from money.personal_data.scope import debtor_data, stored_files
from money.remittances.statements import mark_paid, run_remittances
from money.remittances.trust import trust_position
from reports.aged import aged_balance
from reports.dashboard import dashboard
from reports.facts import refresh_figures
from reports.filters import Filters
from tests import factories
from tests.conftest import csrf_token

ALL_TIME = Filters(date(2015, 1, 1), date(2030, 12, 31))


def _person(time_machine, client, manager, last_name: str, phone: str, email: str, opened: date, closed: date | None,
            pdf: bytes):
    """A debtor worked and (unless `closed` is None) closed: contact points, a letter, a call note, an SMS and an
    e-mail, a hold, a promise, an attachment, a payment remitted and paid to the client."""
    time_machine.move_to(datetime.combine(opened, datetime.min.time(), UTC).replace(hour=9), tick=False)
    debtor = factories.debtor(first_name="Jeanne", last_name=last_name, birth_date=date(1980, 5, 17))
    db.session.add(DebtorReference(debtor_id=debtor.id, client_id=client.id, external_id=f"C-{last_name}"))
    phone_point = factories.contact(debtor, "phone", phone)
    factories.contact(debtor, "email", email)
    factories.postal_address(debtor, address_line1=f"12 rue {last_name}")
    case = factories.case(client_row=client, debtor_row=debtor, amounts=(50_000,), opened_on=opened,
                          client_reference=f"CLI-{last_name}")
    factories.letter(case)
    sms = SmsMessage(to_number=phone, body=f"Bonjour {last_name}, votre dossier {case.reference}", status="sent")
    mail = EmailMessage(to_address=email, subject=f"Dossier de Mme {last_name}", body="Merci de nous rappeler.",
                        status="sent")
    db.session.add_all([sms, mail])
    db.session.flush()
    token, _url = new_token()
    issue_link(case, "sms", token, actor=None, sms_message_id=sms.id)
    db.session.add_all([
        Action(case_id=case.id, kind="call", channel="phone", outcome="promise", contact_point_id=phone_point.id,
               note=f"Mme {last_name} paiera vendredi", done_at=datetime.now(UTC)),
        Action(case_id=case.id, kind="sms", channel="sms", sms_message_id=sms.id, done_at=datetime.now(UTC)),
        Action(case_id=case.id, kind="email", channel="email", email_message_id=mail.id, done_at=datetime.now(UTC)),
        Promise(case_id=case.id, amount_cents=10_000, due_on=opened, status="kept"),
    ])
    hold = put_on_hold(debtor, "cease_communication", actor=manager, reason=f"Courrier de Mme {last_name}")
    hold.ended_at, hold.resolution = datetime.now(UTC), f"Mme {last_name} accepte les appels"
    add_attachment(case, io.BytesIO(pdf), f"contrat-{last_name}.pdf", visible_to_client=False, actor=manager)
    add_debtor_attachment(debtor, io.BytesIO(pdf), f"kbis-{last_name}.pdf", actor=manager)
    add_case_note(case, f"Mme {last_name} a perdu son emploi", visible_to_client=True, actor=manager)
    add_debtor_note(debtor, f"Courrier de Mme {last_name} : joignable le soir", actor=manager)
    create_rule_task(case, "hardship", detail=f"Mme {last_name} reprend le travail en mai")
    factories.payment(case, 10_000, opened, payer_reference=f"VIR {last_name.upper()}")
    if closed is not None:
        time_machine.move_to(datetime.combine(closed, datetime.min.time(), UTC).replace(hour=9), tick=False)
        statement = run_remittances(closed, [client.id])[0]
        mark_paid(statement, paid_on=closed, reference=f"VIR-{closed}", actor=manager)
        close_case(case, "below_minimum", actor=manager, evidence=f"Mme {last_name} est sans ressources")
    db.session.flush()
    return debtor, case


@pytest.fixture
def people(db_session, time_machine, run_jobs):
    """Two debtors alike (same first name, names one letter apart, same client) closed in 2019; one closed in
    2023 (within a 5-year retention in 2026); one whose case is still open."""
    time_machine.move_to("2019-01-02 09:00:00+00:00", tick=False)
    factories.agency_profile()
    client = factories.client()
    client.mandates[0].signed_on = client.mandates[0].starts_on = date(2018, 1, 1)
    manager = factories.user("manager")
    dupont = _person(time_machine, client, manager, "Dupont", "+33611111111", "jeanne.dupont@example.com",
                     date(2019, 3, 1), date(2019, 9, 2), b"%PDF-1.4\n% Dupont\n%%EOF\n")
    dupond = _person(time_machine, client, manager, "Dupond", "+33622222222", "jeanne.dupond@example.com",
                     date(2019, 3, 4), date(2019, 9, 3), b"%PDF-1.4\n% Dupond\n%%EOF\n")
    recent = _person(time_machine, client, manager, "Durand", "+33633333333", "jeanne.durand@example.com",
                     date(2023, 1, 9), date(2023, 6, 1), b"%PDF-1.4\n% Durand\n%%EOF\n")
    still_open = _person(time_machine, client, manager, "Duval", "+33644444444", "jeanne.duval@example.com",
                         date(2019, 3, 6), None, b"%PDF-1.4\n% Duval\n%%EOF\n")
    run_jobs()  # the closing reports, in real mode (inline in embedded mode)
    time_machine.move_to("2026-03-02 09:00:00+00:00", tick=False)
    db_session.commit()
    return {"dupont": dupont, "dupond": dupond, "recent": recent, "open": still_open, "manager": manager,
            "admin": factories.user("admin")}


def _archive(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_export_holds_every_table_of_the_debtor_and_nothing_of_another(people):
    debtor, case = people["dupont"]
    other, other_case = people["dupond"]
    content, name = export_archive(debtor, people["admin"])
    files = _archive(content)
    assert name.startswith(f"donnees-personnelles-debiteur-{debtor.id}-") and name.endswith(".zip")

    tables = {n.removeprefix("data/").removesuffix(".json") for n in files if n.startswith("data/")}
    for table in ("debtor", "debtor_reference", "contact_point", "hold", "collection_case", "claim", "ledger_entry", "letter", "action",
                  "promise", "sms_message", "email_message", "attachment", "payment", "remittance_line",
                  "case_closing", "closing_report"):
        assert table in tables, table
    rows = {t: json.loads(files[f"data/{t}.json"]) for t in tables}
    assert [r["last_name"] for r in rows["debtor"]] == ["Dupont"]
    assert {r["value"] for r in rows["contact_point"]} >= {"+33611111111", "jeanne.dupont@example.com"}
    assert [r["reference"] for r in rows["collection_case"]] == [case.reference]
    assert rows["sms_message"][0]["body"].startswith("Bonjour Dupont")
    assert rows["payment"][0]["payer_reference"] == "VIR DUPONT"
    assert {(t, r["case_id"]) for t in tables for r in rows[t] if "case_id" in r and r["case_id"] not in (case.id, None)} == set()
    # The stored documents: the letter, the receipt, the attachment with its very bytes.
    stored = [n for n in files if n.startswith("files/")]
    assert any(n.startswith("files/letter/") for n in stored)
    assert any(n.startswith("files/payment/") for n in stored)
    assert rows["space_link"] and "token_hash" not in rows["space_link"][0]  # a secret, not the debtor's data
    assert b"%PDF-1.4\n% Dupont\n%%EOF\n" in [files[n] for n in stored if n.startswith("files/attachment/")]
    events = json.loads(files["audit_events.json"])
    assert {"case.opened", "hold.started"} <= {e["action"] for e in events} or len(events) > 5
    assert "Données personnelles" in files["README.txt"].decode()

    # Nothing of the other debtor, anywhere: not a name, a number, an address, a case or a file.
    everything = b"\n".join(files.values()).decode("utf-8", errors="replace")
    for trace in ("Dupond", "DUPOND", "+33622222222", "jeanne.dupond@example.com", other_case.reference,
                  f'"debtor_id": {other.id},', f'"case_id": {other_case.id},', "Durand", "Duval"):
        assert trace not in everything, trace
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "debtor.personal_data_exported"))
    assert event.subject_id == debtor.id and event.actor_id == people["admin"].id


def _figures():
    refresh_figures()
    cases = list(db.session.scalars(sa.select(Case.id).order_by(Case.id)))
    board = dashboard(ALL_TIME, today())
    return {
        "balances": balances(cases),
        "ledger": db.session.execute(sa.select(LedgerEntry.case_id, sa.func.sum(LedgerEntry.amount_cents))
                                     .group_by(LedgerEntry.case_id).order_by(LedgerEntry.case_id)).all(),
        "remittances": db.session.execute(sa.select(Remittance.id, Remittance.trust_collected_cents,
                                                    Remittance.commission_cents, Remittance.net_cents)
                                          .order_by(Remittance.id)).all(),
        "payments": db.session.execute(sa.select(Payment.id, Payment.amount_cents, Payment.commission_cents)
                                       .order_by(Payment.id)).all(),
        "trust": (lambda t: (t.collected_cents, t.remitted_cents, t.commission_earned_cents, t.ledger_collected_cents,
                            t.held_cents))(trust_position()),
        "aged": aged_balance(today()),
        "dashboard": (board.money, board.counts, board.closed_by_reason),
        "audit_events": db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                          .where(AuditEvent.action != "debtor.anonymised")),
    }


def test_retention_run_anonymises_and_keeps_every_figure(people):
    debtor, case = people["dupont"]
    files = [key for _t, _id, key, _sha in stored_files(debtor_data(debtor))]
    assert len(files) >= 3 and all(get_store().sha256_of(k) for k in files)
    before = _figures()

    result = anonymise_expired_job()

    assert result == {"anonymised": 2, "kept": 0, "placements_emptied": 0}  # Dupont and Dupond; Durand closed in 2023, Duval open
    db.session.expire_all()
    assert _figures() == before
    for name, expected in (("dupont", True), ("dupond", True), ("recent", False), ("open", False)):
        assert (db.session.get(Debtor, people[name][0].id).anonymised_at is not None) is expected, name

    debtor = db.session.get(Debtor, debtor.id)
    assert debtor.last_name == f"Anonymisé #{debtor.id}" and debtor.first_name == "" and debtor.search_name == ""
    assert debtor.birth_date is None and debtor.siren is None
    assert db.session.scalar(sa.select(sa.func.count()).where(ContactPoint.debtor_id == debtor.id)) == 0
    assert db.session.scalar(sa.select(SpaceLink.revoked_at).where(SpaceLink.case_id == case.id)) is not None
    assert all(get_store().sha256_of(k) is None for k in files)  # gone from storage
    data = debtor_data(debtor)
    assert list(stored_files(data)) == []
    assert data.rows["attachment"][0]["sha256"] and data.rows["attachment"][0]["size_bytes"] > 0
    texts = json.dumps(data.rows, default=str)
    events = [e for batch in _events_of(data) for e in batch]
    texts += json.dumps([(e.before, e.after, e.ip) for e in events], default=str)
    for trace in ("Dupont", "DUPONT", "dupont", "+33611111111", "12 rue", "1980-05-17", "paiera", "Courrier",
                  "sans ressources"):
        assert trace not in texts, trace
    # The trail stays: every event with its kind, actor and time, each scrubbing on record.
    assert {e.action for e in events} >= {"case.opened", "hold.started"}
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditScrub.debtor_id == debtor.id)) == len(events) - 1
    # Others' data untouched.
    assert db.session.get(Debtor, people["recent"][0].id).last_name == "Durand"


def _events_of(data):
    from money.personal_data.scope import audit_events

    return list(audit_events(data))


def test_the_retention_run_is_idempotent(people):
    anonymise_expired_job()
    events = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    assert anonymise_expired_job() == {"anonymised": 0, "kept": 0, "placements_emptied": 0}
    assert anonymise(db.session.get(Debtor, people["dupont"][0].id), None, "retention") == {}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == events


def test_the_run_keeps_a_debtor_whose_money_is_still_held(people, time_machine):
    debtor, case = people["dupont"]
    factories.payment(case, 2_500, date(2026, 3, 1))  # a late payment, not yet remitted to the client
    db.session.commit()
    assert anonymise_expired_job() == {"anonymised": 1, "kept": 1, "placements_emptied": 0}
    assert db.session.get(Debtor, debtor.id).anonymised_at is None


def test_a_placement_file_is_emptied_once_nobody_it_names_is_kept(people, time_machine, client, login_as):
    """Dupont and Dupond go at this run, Durand (closed in 2023) stays: a file that named only the first two is
    emptied, one that also named Durand is kept, and one that brought no case goes after the retention period."""
    from cases.placement.models import Placement, PlacementFile

    dupont, dupond, durand = (people[name][1] for name in ("dupont", "dupond", "recent"))
    time_machine.move_to("2019-02-20 09:00:00+00:00", tick=False)
    both = factories.placement(dupont.client)
    with_durand = factories.placement(dupont.client)
    nothing_old = factories.placement(dupont.client)
    time_machine.move_to("2025-11-03 09:00:00+00:00", tick=False)
    nothing_recent = factories.placement(dupont.client)
    time_machine.move_to("2026-03-02 09:00:00+00:00", tick=False)
    # A claim's keys never change: each placement's claims are rows of their own (no ledger entry: nothing owed).
    for n, (claim_case, placement) in enumerate(((dupont, both), (dupond, both), (dupont, with_durand),
                                                 (durand, with_durand))):
        db.session.add(Claim(case_id=claim_case.id, client_id=claim_case.client_id, invoice_number=f"FA-P{n}",
                             issue_date=date(2019, 1, 2), due_date=date(2019, 2, 1), amount_cents=0,
                             placement_id=placement.id))
    both.status = with_durand.status = "imported"
    nothing_old.status = nothing_recent.status = "validated"  # checked, never confirmed
    for placement in (both, with_durand, nothing_old, nothing_recent):
        placement.report = {"rejections": [{"line": 3, "column": "Nom", "value": "Mme Dupont", "reason": "x"}]}
        placement.samples = [["FA-1", "Dupont"]]
    db.session.commit()

    assert anonymise_expired_job() == {"anonymised": 2, "kept": 0, "placements_emptied": 2}

    db.session.expire_all()
    def state(placement):
        row = db.session.get(Placement, placement.id)
        content = db.session.scalar(sa.select(PlacementFile.content).where(PlacementFile.placement_id == row.id))
        return row.personal_data_removed_at is not None, content == b"", row.report is None, row.samples is None
    assert state(both) == state(nothing_old) == (True, True, True, True)
    assert state(with_durand) == state(nothing_recent) == (False, False, False, False)
    assert db.session.get(Placement, both.id).rows_total == 1  # the figures stay
    statuses = [db.session.get(Placement, p.id).status for p in (both, nothing_old, nothing_recent)]
    assert statuses == ["imported", "cancelled", "validated"]  # without its file, an old one cannot be imported
    events = db.session.scalars(sa.select(AuditEvent.subject_id).where(
        AuditEvent.action == "placement.personal_data_removed").order_by(AuditEvent.subject_id)).all()
    assert events == [both.id, nothing_old.id]
    assert anonymise_expired_job()["placements_emptied"] == 0  # once

    login_as("manager")
    page = client.get(f"/placements/{both.id}").get_data(as_text=True)
    assert 'data-testid="personal-data-removed"' in page and "Mme Dupont" not in page
    assert "Mme Dupont" in client.get(f"/placements/{with_durand.id}").get_data(as_text=True)


def test_erasure_refused_with_the_reason_then_allowed(people):
    debtor, case = people["open"]
    with pytest.raises(ErasureRefused) as refused:
        erase(debtor, people["admin"], "Demande de la personne", today())
    assert refused.value.reasons == [
        f"Dossiers encore ouverts : {case.reference}.",
        f"Solde non réglé (reste dû ou trop-perçu à rembourser) : {case.reference}.",
        "1 paiement(s) encore détenu(s) sur le compte de tiers, pas encore reversé(s) au client.",
    ]
    assert db.session.get(Debtor, debtor.id).anonymised_at is None

    recent, _case = people["recent"]  # closed in 2023: erasure does not wait for the retention
    counts = erase(recent, people["admin"], "Demande de la personne", today())
    assert counts["contact_points"] == 3
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "debtor.anonymised"))
    assert event.subject_id == recent.id and event.after["cause"] == "erasure"
    assert event.after["note"] == "Demande de la personne"


def test_audit_events_stay_append_only_unless_scrubbed_on_record(people):
    event = db.session.scalar(sa.select(AuditEvent).limit(1))
    with pytest.raises(sa.exc.DatabaseError):
        with db.session.begin_nested():
            db.session.execute(sa.update(AuditEvent).where(AuditEvent.id == event.id).values(after={}))
    db.session.add(AuditScrub(audit_event_id=event.id, debtor_id=people["dupont"][0].id))
    db.session.flush()
    with pytest.raises(sa.exc.DatabaseError):  # the kind of an event never changes, scrubbed or not
        with db.session.begin_nested():
            db.session.execute(sa.update(AuditEvent).where(AuditEvent.id == event.id).values(action="x"))
    with pytest.raises(sa.exc.DatabaseError):
        with db.session.begin_nested():
            db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id == event.id))
    db.session.execute(sa.update(AuditEvent).where(AuditEvent.id == event.id).values(after={}, ip=None))


def test_pages_are_for_admins_only(client, people, login_as):
    debtor, _case = people["dupont"]
    login_as("manager")
    assert client.get(f"/debtors/{debtor.id}/personal-data").status_code == 403
    token = csrf_token(client, f"/debtors/{debtor.id}")
    for url in (f"/debtors/{debtor.id}/personal-data/export", f"/debtors/{debtor.id}/personal-data/erase",
                "/admin/personal-data"):
        assert client.post(url, data={"csrf_token": token, "reason": "x", "retention_years": 3}).status_code == 403
    assert db.session.get(Debtor, debtor.id).anonymised_at is None
    assert db.session.scalar(sa.select(sa.func.count()).where(
        AuditEvent.action.in_(["debtor.personal_data_exported", "debtor.anonymised"]))) == 0


def test_admin_exports_and_erases_from_the_pages(client, people, login_as):
    login_as("admin")
    debtor, case = people["open"]
    page = client.get(f"/debtors/{debtor.id}/personal-data")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Exporter les données personnelles" in text and case.reference in text

    token = csrf_token(client, f"/debtors/{debtor.id}/personal-data")
    response = client.post(f"/debtors/{debtor.id}/personal-data/export", data={"csrf_token": token})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "attachment;" in response.headers["Content-Disposition"]
    assert "Duval" in _archive(response.data)["data/debtor.json"].decode()

    refused = client.post(f"/debtors/{debtor.id}/personal-data/erase", data={"csrf_token": token, "reason": "RGPD"})
    assert refused.status_code == 409
    assert "doivent être conservées" in refused.get_data(as_text=True)
    assert db.session.get(Debtor, debtor.id).anonymised_at is None

    empty = client.post(f"/debtors/{people['recent'][0].id}/personal-data/erase", data={"csrf_token": token})
    assert empty.status_code == 400 and db.session.get(Debtor, people["recent"][0].id).anonymised_at is None
    done = client.post(f"/debtors/{people['recent'][0].id}/personal-data/erase",
                       data={"csrf_token": token, "reason": "Demande écrite du 2 mars"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Debtor, people["recent"][0].id).anonymised_at is not None


def test_admin_sets_the_retention(client, people, login_as):
    login_as("admin")
    token = csrf_token(client, "/admin/personal-data")
    bad = client.post("/admin/personal-data", data={"csrf_token": token, "retention_years": 1})
    assert bad.status_code == 400
    assert client.post("/admin/personal-data", data={"csrf_token": token, "retention_years": 8}).status_code == 302
    # Eight years: the debtors closed in 2019 are now within the retention.
    assert anonymise_expired_job() == {"anonymised": 0, "kept": 0, "placements_emptied": 0}
