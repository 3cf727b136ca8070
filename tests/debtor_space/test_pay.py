"""Paying by card from the space, against the local fake Stripe: the choice page, the provider's page it opens
(allowed by the page's form-action, nothing else widened), the return page that never records money, the
amount refused at its field, and a case that cannot be paid online."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from debtors.holds import put_on_hold
from money.models import Checkout, Payment
from money.online.fake_stripe import FakeStripe
from money.plans.plans import propose_plan, split
from tests.debtor_space.conftest import csrf_of, enter, link_for, text_of
from tests.money.online.conftest import MOMENT, SECRET, click, configure, post_event


@pytest.fixture
def fake_stripe(app, time_machine):
    time_machine.move_to(MOMENT, tick=True)  # Monday 7 December 2026
    fake = FakeStripe(api_key="sk_test_space", webhook_secret=SECRET).start()
    saved = configure(app, fake)
    yield fake
    app.config.update(saved)
    fake.stop()


@pytest.fixture
def plan_case(db_session, person_case, fake_stripe):
    """The 1 234,56 € case with a plan running: three monthly payments from 10 December 2026."""
    propose_plan(person_case, total_cents=123_456, instalments=split(123_456, 3, date(2026, 12, 10)), actor=None)
    return person_case


def _visit(visitor, db_session, case) -> str:
    token = link_for(case)
    db_session.commit()
    assert enter(visitor, token).status_code == 302
    return f"/espace/dossier/{case.id}/payer"


def _post(visitor, url: str, **fields):
    page = visitor.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    return visitor.post(url, data={"csrf_token": csrf_of(page.get_data(as_text=True)), **fields})


def _rows(db_session, model, case):
    return list(db_session.scalars(sa.select(model).where(model.case_id == case.id)))


def test_the_case_page_leads_to_the_card_page_which_opens_the_providers_page_for_the_instalment(
        visitor, db_session, plan_case, fake_stripe):
    url = _visit(visitor, db_session, plan_case)
    assert f'href="{url}"' in text_of(visitor.get(f"/espace/dossier/{plan_case.id}"))
    page = visitor.get(url)
    policy = page.headers["Content-Security-Policy"]
    assert f"form-action 'self' {fake_stripe.url};" in policy and "script-src 'self';" in policy
    html = text_of(page)
    assert "La prochaine échéance de votre plan : 411,52 €, au plus tard le 10 décembre 2026" in html
    assert re.search(r'<input checked [^>]*value="instalment"', html)
    answer = _post(visitor, url, purpose="instalment")
    assert answer.status_code == 303 and answer.headers["Location"].startswith(f"{fake_stripe.url}/c/pay/cs_test_")
    [checkout] = _rows(db_session, Checkout, plan_case)
    assert (checkout.amount_cents, checkout.purpose, checkout.actor_label) == (41_152, "instalment", "debtor")
    # Only the card page names the provider: the case page keeps the space's policy as it is.
    assert "form-action 'self';" in visitor.get(f"/espace/dossier/{plan_case.id}").headers["Content-Security-Policy"]


def test_the_return_page_records_nothing_until_the_providers_signed_event(
        client, visitor, db_session, plan_case, fake_stripe):
    url = _visit(visitor, db_session, plan_case)
    provider_page = _post(visitor, url, purpose="full").headers["Location"]
    back = click(provider_page, "pay").headers["Location"]
    assert back.startswith(f"http://localhost{url}/retour?session_id=cs_test_")
    waiting = visitor.get(back.removeprefix("http://localhost"))
    assert waiting.status_code == 200 and "Votre paiement est en cours de confirmation" in text_of(waiting)
    assert "1 234,56 €" in text_of(waiting) and _rows(db_session, Payment, plan_case) == []

    [delivery] = fake_stripe.outbox
    assert post_event(client, delivery).status_code == 200
    paid = text_of(visitor.get(back.removeprefix("http://localhost")))
    [payment] = _rows(db_session, Payment, plan_case)
    assert "Merci, votre paiement est reçu" in paid and payment.reference in paid
    assert payment.amount_cents == 123_456


def test_an_amount_below_the_minimum_is_refused_at_its_field_and_opens_nothing(
        visitor, db_session, plan_case, fake_stripe):
    url = _visit(visitor, db_session, plan_case)
    answer = _post(visitor, url, purpose="own", amount="5")
    assert answer.status_code == 400
    html = text_of(answer)
    assert 'data-testid="error-amount"' in html and "au moins 10,00 €" in html and 'aria-invalid="true"' in html
    assert _post(visitor, url, purpose="own", amount="").status_code == 400
    assert _rows(db_session, Checkout, plan_case) == [] and fake_stripe.requests == []


def test_a_case_under_an_over_indebtedness_hold_cannot_be_paid_by_card(visitor, db_session, person_case, fake_stripe):
    put_on_hold(person_case.debtor, "over_indebtedness", actor=None, reason="dossier déposé")
    url = _visit(visitor, db_session, person_case)
    page = visitor.get(url)
    html = text_of(page)
    assert page.status_code == 200 and 'data-testid="pay-refused"' in html and 'data-testid="pay-form"' not in html
    token = csrf_of(visitor.get(f"/espace/dossier/{person_case.id}").get_data(as_text=True))  # the leave button's
    assert visitor.post(url, data={"purpose": "full", "csrf_token": token}).status_code == 400
    assert _rows(db_session, Checkout, person_case) == []


def test_the_return_page_knows_only_this_cases_checkouts(visitor, db_session, person_case, fake_stripe):
    url = _visit(visitor, db_session, person_case)
    assert visitor.get(f"{url}/retour?session_id=cs_test_unknown").status_code == 404
    assert visitor.get(f"{url}/retour").status_code == 404
