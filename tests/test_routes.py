"""Walk every route of the app as each role: login required, role permission, tenant scope."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.routing.converters import AnyConverter

from agency.auth import PERMISSIONS
from agency.clock import today
from agency.db import db
from agency.models import Role
from cases.attachments.attachments import add_attachment, add_debtor_attachment
from cases.batches.batches import ask_batch as ask_case_batch
from cases.batches.batches import run_batch_job
from cases.closing.bulk import ask_batch
from cases.closing.closing import close_case
from cases.judicial.documents import add_document
from cases.judicial.insolvency import prepare_claim
from cases.judicial.pack import prepare_pack
from cases.models import Proceeding
from cases.notes.notes import add_case_note, add_debtor_note
from cases.notes.tasks import create_rule_task
from debtors.holds import put_on_hold
from money.closing_reports.jobs import closing_report_job
from money.models import ClosingReport
from money.plans.documents import store_agreement
from money.plans.plans import propose_plan, split
from money.remittances.statements import run_remittances
from reports.monthly import produce_report
from reports.monthly_figures import previous_month
from tests import factories
from tests.conftest import IsolatedClient, login

PUBLIC = {"agency.login", "agency.set_language", "static", "bootstrap.static", "index", "api.openapi",
          # the sign-in's second step and a forgotten password, before signing in: tested in tests/agency/
          "account.code", "account.forgot_password", "account.reset_password",
          # asked by load balancers and Prometheus, not people: tested in tests/ops/
          "ops.healthz", "ops.metrics_page",
          # signed links and signed Twilio calls, tested in tests/cases/messaging/
          "messaging.unsubscribe_page", "webhooks.twilio_status", "webhooks.twilio_inbound",
          }
TOKEN = "api"  # the client API authenticates by token, not by session: tested in tests/cases/test_api.py
ROLES = [r.value for r in Role]
# Route arguments naming a client's row: another client's id must answer 404 to a client user.
TENANT_ARGUMENTS = ("case_id", "placement_id", "letter_id", "payment_id", "remittance_id", "plan_id", "report_id",
                    "proceeding_id", "document_id", "claim_id", "closing_report_id", "attachment_id", "decision_id",
                    "space_document_id")
# Signed by the card payment provider, not by a session: tested in tests/money/online/.
PUBLIC |= {"online_payments.stripe_webhook"}


def public(app) -> set[str]:
    """The endpoints no staff role guards: those above, and every page of the debtor's space, entered by a link
    and its second factor instead (each of its routes is walked with another case's visit in tests/debtor_space/)."""
    return PUBLIC | {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("debtor_space.")}


def get_routes(app):
    """Return (endpoint, rule, view) for every GET route except the public ones."""
    return [
        (rule.endpoint, rule, app.view_functions[rule.endpoint])
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.endpoint not in public(app)
        and app.view_functions[rule.endpoint].permission != TOKEN
    ]


def test_every_non_public_view_declares_a_permission(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in public(app) or rule.endpoint == "agency.logout":
            continue
        view = app.view_functions[rule.endpoint]
        permission = getattr(view, "permission", None)
        assert permission in PERMISSIONS or permission == TOKEN, f"{rule.rule} has no permission check"


@pytest.fixture
def world(db_session):
    """Two clients with a case each, and a user per role; client users belong to client A."""
    client_a, client_b = factories.client(), factories.client()
    case_a = factories.case(client_row=client_a)
    case_b = factories.case(client_row=client_b)
    users = {role: factories.user(role, client=client_a if role == "client" else None) for role in ROLES}
    placements = {c: factories.placement(c) for c in (client_a, client_b)}
    # An issued first notice (downloads) and a formal notice awaiting approval (previews) per case.
    letters = {c: (factories.letter(c, days_ago=30), factories.letter(c, "formal_notice")) for c in (case_a, case_b)}
    # A payment (receipt), a remittance statement and a payment plan (agreement) per client.
    payments = {c: factories.payment(c, 1_000) for c in (case_a, case_b)}
    statements = {s.client_id: s for s in run_remittances(today())}
    plans = {}
    for case in (case_a, case_b):
        plans[case] = propose_plan(case, instalments=split(500, 1, today() + timedelta(days=3)), total_cents=500,
                                   actor=None)
        store_agreement(plans[case])
    reports = {c: produce_report(c.id, previous_month(today()), actor=None) for c in (client_a, client_b)}
    files = {c: judicial_file(c, users["manager"]) for c in (case_a, case_b)}
    batch = ask_batch(case_a.reference, "below_minimum", evidence="", actor=users["manager"])
    # An export of both clients' cases, its job run (its page, its progress and its CSV).
    case_batch = ask_case_batch("export", {}, actor=users["manager"], case_ids=[case_a.id, case_b.id])
    run_batch_job(case_batch.id)
    claims = {c: insolvency_claim(c) for c in (case_a, case_b)}
    closing_reports = {c: closing_report(c, users["manager"]) for c in (client_a, client_b)}
    attachments = {c: add_attachment(c, io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "facture.pdf", visible_to_client=True,
                                     actor=users["collector"]) for c in (case_a, case_b)}
    space_documents = {c: space_document(c) for c in (case_a, case_b)}
    # A file about case A's debtor: staff only, whatever the client.
    debtor_attachment = add_debtor_attachment(case_a.debtor, io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "kbis.pdf",
                                              actor=users["collector"])
    for case in (case_a, case_b):  # a note of each kind and a task, drawn on every case page and the debtor's
        add_case_note(case, "Note visible", visible_to_client=True, actor=users["collector"])
        create_rule_task(case, "hardship")
    add_debtor_note(case_a.debtor, "Note sur le débiteur", actor=users["collector"])
    db_session.commit()
    return {"debtor_attachment": debtor_attachment, "case_a": case_a, "case_b": case_b, "users": users,
            "debtor": case_a.debtor,
            "placement_a": placements[client_a], "placement_b": placements[client_b],
            "letter_a": letters[case_a][0], "letter_b": letters[case_b][0],
            "pending_a": letters[case_a][1], "pending_b": letters[case_b][1],
            "payment_a": payments[case_a], "payment_b": payments[case_b],
            "remittance_a": statements[client_a.id], "remittance_b": statements[client_b.id],
            "plan_a": plans[case_a], "plan_b": plans[case_b],
            "report_a": reports[client_a], "report_b": reports[client_b],
            "proceeding_a": files[case_a][0], "proceeding_b": files[case_b][0],
            "document_a": files[case_a][1], "document_b": files[case_b][1],
            "batch": batch, "case_batch": case_batch, "claim_a": claims[case_a], "claim_b": claims[case_b],
            "closing_report_a": closing_reports[client_a], "closing_report_b": closing_reports[client_b],
            "attachment_a": attachments[case_a], "attachment_b": attachments[case_b],
            "space_document_a": space_documents[case_a], "space_document_b": space_documents[case_b]}


def space_document(case):
    """A proof of payment the debtor sent from their space (staff download it from the case page)."""
    from agency.storage import store_document
    from cases.models.space_links import SpaceDocument

    data = b"%PDF-1.4\n%%EOF\n"
    stored = store_document(data, f"space/{case.reference}", "payment_proof")
    row = SpaceDocument(case_id=case.id, client_id=case.client_id, kind="payment_proof", filename="virement.pdf",
                        media_type="application/pdf", file_path=stored.path, sha256=stored.sha256,
                        size_bytes=stored.size_bytes)
    db.session.add(row)
    db.session.flush()
    return row


def judicial_file(case, actor):
    """A proceeding both sides approved, its pack prepared and a document uploaded (the judicial file's pages)."""
    proceeding = Proceeding(reference=f"JUD-T-{case.id}", case_id=case.id, client_id=case.client_id,
                            route="order_judicial", suggested_route="order_judicial", stage="preparing",
                            court="Président du tribunal judiciaire", form="Cerfa 12948*06")
    db.session.add(proceeding)
    db.session.flush()
    prepare_pack(proceeding, factories.agency_profile(), actor=actor)
    document = add_document(proceeding, io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "contrat.pdf", kind="contract", title="",
                            actor=actor)
    return proceeding, document


def insolvency_claim(case):
    """The debtor under insolvency proceedings and the case's declaration prepared (its PDF's page)."""
    put_on_hold(case.debtor, "insolvency", actor=None, reference_date=today() - timedelta(days=20),
                bodacc_published_on=today() - timedelta(days=10))
    return prepare_claim(case, factories.agency_profile(), actor=None)


def closing_report(client, actor):
    """Another case of the client closed, and its closing report (the portal's PDF)."""
    closing = close_case(factories.case(client_row=client), "below_minimum", actor=actor)
    closing_report_job(closing.id)  # already run inline in embedded mode; real mode's worker is not running
    return db.session.scalar(sa.select(ClosingReport).where(ClosingReport.closing_id == closing.id))


def build_url(rule, world, own: bool = True, placeholders: dict | None = None) -> str:
    values = {}
    for arg in rule.arguments:
        if arg == "case_id":
            values[arg] = world["case_a" if own else "case_b"].id
        elif arg == "placement_id":
            values[arg] = world["placement_a" if own else "placement_b"].id
        elif arg == "client_id":
            values[arg] = world["case_a"].client_id
        elif arg == "debtor_id":
            values[arg] = world["debtor"].id
        elif arg == "letter_id":
            kind = "pending" if rule.endpoint == "letters.preview" else "letter"
            values[arg] = world[f"{kind}_a" if own else f"{kind}_b"].id
        elif arg in ("payment_id", "remittance_id", "plan_id", "report_id", "proceeding_id", "document_id",
                     "claim_id", "closing_report_id", "attachment_id", "decision_id", "space_document_id"):
            values[arg] = world[f"{arg.removesuffix('_id')}_{'a' if own else 'b'}"].id
        elif arg == "debtor_attachment_id":  # staff only: not a client's row
            values[arg] = world["debtor_attachment"].id
        elif arg == "batch_id":  # managers only: a closing batch belongs to the agency
            values[arg] = world["batch"].id
        elif arg == "case_batch_id":  # managers only, as the closing batch
            values[arg] = world["case_batch"].id
        elif arg == "profile_code":
            values[arg] = "FR"
        elif arg == "part":
            values[arg] = "request"
        elif placeholders and arg in placeholders:
            values[arg] = placeholders[arg]
        elif placeholders is not None and isinstance(rule._converters.get(arg), AnyConverter):
            values[arg] = sorted(rule._converters[arg].items)[0]  # one of the words the route takes
        else:
            raise AssertionError(f"the route walk does not know how to fill <{arg}> in {rule.rule}")
    return rule.build(values)[1]


def test_anonymous_users_are_sent_to_login_everywhere(app, world):
    web = app.test_client()
    for endpoint, rule, _view in get_routes(app):
        response = web.get(build_url(rule, world))
        assert response.status_code == 302, endpoint
        assert response.headers["Location"].startswith("/login"), endpoint


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_routes_and_only_its_tenant(app, world, role):
    app.test_client_class = IsolatedClient
    web = app.test_client()
    assert login(web, world["users"][role].email).status_code == 302
    for endpoint, rule, view in get_routes(app):
        allowed = Role(role) in PERMISSIONS[view.permission]
        response = web.get(build_url(rule, world))
        assert response.status_code == (200 if allowed else 403), f"{role} {endpoint}"
        if allowed and set(TENANT_ARGUMENTS) & rule.arguments:
            other = web.get(build_url(rule, world, own=False))
            assert other.status_code == (404 if role == "client" else 200), f"{role} {endpoint} other tenant"


# --- POST routes: the same walk, for the routes that change something -------------------------------------------

# Values for route arguments the GET walk never needs. A role refused a route is refused before any row is read,
# so these only have to build a URL; the client's own routes are filled from `world` (`post_world`) instead.
POST_PLACEHOLDERS = {"channel": "sms", "token_id": 1,
                     "user_id": 1, "mandate_id": 1, "message_id": 1, "rate_id": 1, "hold_id": 1,
                     "contact_point_id": 1, "finding_id": 1, "closing_id": 1, "note_id": 1, "task_id": 1}


def post_routes(app):
    """Return (endpoint, rule, view) for every POST route a signed-in role may be refused."""
    return [
        (rule.endpoint, rule, app.view_functions[rule.endpoint])
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and rule.endpoint not in public(app) | {"agency.logout"}
        and app.view_functions[rule.endpoint].permission != TOKEN
    ]


@pytest.fixture
def post_world(world):
    """`world`, with a dispute upheld on another case of each client: the decision it asks the client for."""
    from cases.models.recall import ClientDecision
    from cases.work.disputes import open_dispute, resolve_dispute

    decisions = {}
    for key in ("a", "b"):
        case = factories.case(client_row=world[f"case_{key}"].client)
        resolve_dispute(open_dispute(case, actor=None, reason="Facture déjà réglée"), actor=None, decision="upheld",
                        resolution="Avoir à émettre")
        decisions[key] = db.session.scalar(sa.select(ClientDecision).where(ClientDecision.case_id == case.id))
    db.session.commit()
    return world | {"decision_a": decisions["a"], "decision_b": decisions["b"]}


def rows_written() -> int:
    """How many rows the database holds, every table together: a refused request must leave it unchanged."""
    counts = sa.union_all(*[sa.select(sa.func.count().label("n")).select_from(t) for t in db.metadata.sorted_tables])
    total = sa.select(sa.func.sum(counts.subquery().c.n))
    return db.session.scalar(total)


def test_anonymous_posts_go_to_login_and_write_nothing(app, post_world):
    from tests.conftest import csrf_token

    web = app.test_client()
    token = csrf_token(web)
    before = rows_written()
    for endpoint, rule, _view in post_routes(app):
        url = build_url(rule, post_world, placeholders=POST_PLACEHOLDERS)
        response = web.post(url, data={"csrf_token": token})
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), endpoint
        assert rows_written() == before, endpoint


@pytest.mark.parametrize("role", ROLES)
def test_each_role_is_refused_the_posts_it_may_not_make_and_a_client_another_clients_rows(app, post_world, role):
    """Refused routes answer 403; a client's allowed routes naming another client's rows answer 404; either
    way nothing is written. (What an allowed POST does is each feature's own tests' business.)"""
    from tests.conftest import csrf_token

    app.test_client_class = IsolatedClient
    web = app.test_client()
    assert login(web, post_world["users"][role].email).status_code == 302
    token = csrf_token(web, "/account/password")  # a form every signed-in role has
    before = rows_written()
    walked = 0
    for endpoint, rule, view in post_routes(app):
        allowed = Role(role) in PERMISSIONS[view.permission]
        if allowed and not (role == "client" and set(TENANT_ARGUMENTS) & rule.arguments):
            continue
        # A refused role names its own tenant's rows (refused all the same); an allowed client, another client's.
        url = build_url(rule, post_world, own=not allowed, placeholders=POST_PLACEHOLDERS)
        response = web.post(url, data={"csrf_token": token})
        expected = 403 if not allowed else 404
        assert response.status_code == expected, f"{role} {endpoint} answered {response.status_code}"
        assert rows_written() == before, f"{role} {endpoint} wrote rows"
        walked += 1
    assert walked > 0
