"""A case ready for the judicial stage: mandate allowing it, a formal notice whose deadline has passed."""

from __future__ import annotations

from datetime import date
from itertools import count

from agency.db import db
from cases.models import Case, Letter, LetterKind, LetterStatus
from tests import factories

_numbers = count(1)
TODAY = date(2026, 12, 7)  # a Monday; tests set the clock there (or elsewhere) explicitly


def ready_case(amounts=(300_000,), kind: str = "b2c", debtor_kind: str = "person", nature: str = "sales",
               notice_on: date = date(2026, 11, 2), pay_by: date = date(2026, 11, 17), **mandate) -> Case:
    """A case whose formal notice (sent outside the platform) gave the debtor until `pay_by`."""
    creditor = factories.client()
    current = creditor.mandates[0]
    current.judicial_allowed = mandate.pop("judicial_allowed", True)
    current.claims_nature = nature
    for name, value in mandate.items():
        setattr(current, name, value)
    debtor = factories.debtor(debtor_kind)
    factories.postal_address(debtor)
    case = factories.case(creditor, debtor, amounts=amounts, kind=kind)
    db.session.add(Letter(case=case, client_id=case.client_id, kind=LetterKind.FORMAL_NOTICE.value,
                          status=LetterStatus.RECORDED.value, reference=f"MED-J-{next(_numbers)}",
                          issued_on=notice_on, pay_by=pay_by, principal_cents=sum(amounts)))
    db.session.flush()
    return case


def started(time_machine, amounts=(900_000,), **mandate):
    """A proceeding proposed and approved by both on 1 June 2026, its request filed on 2 June."""
    from cases.judicial.proceedings import approve_by_manager, decide_by_client, propose
    from cases.judicial.steps import record_step
    from cases.models import StepKind

    time_machine.move_to("2026-06-01 10:00:00+02:00", tick=False)
    case = ready_case(kind="b2b", debtor_kind="company", amounts=amounts, notice_on=date(2026, 5, 1),
                      pay_by=date(2026, 5, 16), **mandate)
    proceeding = propose(case, actor=None)
    approve_by_manager(proceeding, actor=factories.user("manager"))
    decide_by_client(proceeding, actor=factories.user("client", client=case.client), approve=True)
    time_machine.move_to("2026-06-02 10:00:00+02:00", tick=False)
    record_step(proceeding, StepKind.FILED, date(2026, 6, 2), actor=None)
    return case, proceeding
