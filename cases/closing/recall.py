"""The client recalls a case: the mandate's recall terms apply, the agency keeps what it earned.

A recall records the mandate's fee (excl. VAT, with its VAT: the client's cost, never the debtor's) and
the day it takes effect, after the mandate's notice; the case closes with the automatic reason
`recalled` that day (at once without a notice, else by the daily job). During the notice the agency
goes on working the case. Nothing already remitted is taken back: a payment keeps its commission, and a
payment received after the recall is still recorded and remitted like any other. A case in the judicial
stage is recalled only once the client confirms the consequences: the proceeding stops, the costs
already advanced stay as the mandate agreed.

The recall fee is kept on the recall and shown to the client and to staff. Once the recall has taken
effect (status `closed`), the client's next remittance statement charges it as a line of its own (amount
0, commission the fee, VAT its VAT: it lowers the net transferred), once per recall; a recall whose notice
still runs is not charged yet (`money.remittances.statements`).
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from agency import audit
from agency.clock import today
from agency.db import db
from agency.models import Mandate, User
from agency.page_reads import read_once
from cases.closing.closing import CLOSED, close_case
from cases.judicial.proceedings import open_proceeding_of, stop_following
from cases.models import Case, CaseStatus
from cases.models.recall import CaseRecall, RecallStatus

REASON_MAX = 2000


class RecallError(ValueError):
    def __init__(self, message: LazyString | str, field: str = "") -> None:
        super().__init__(str(message))
        self.field = field


def pending_recall(case: Case) -> CaseRecall | None:
    return db.session.scalar(sa.select(CaseRecall).where(CaseRecall.case_id == case.id,
                                                         CaseRecall.status == RecallStatus.PENDING.value))


@read_once(key=lambda case: case.id)
def recalls_of(case: Case) -> list[CaseRecall]:
    return list(db.session.scalars(sa.select(CaseRecall).where(CaseRecall.case_id == case.id)
                                   .order_by(CaseRecall.id.desc())))


def in_judicial_stage(case: Case) -> bool:
    """Tell whether the case is in litigation: escalated, or with a proceeding that has not ended."""
    return case.status == CaseStatus.ESCALATED or open_proceeding_of(case) is not None


def recall_terms(case: Case, on: date) -> tuple[int, int, int]:
    """Return the mandate's (fee excl. VAT, VAT on it, notice in days) for recalling `case` on `on`."""
    mandate = _mandate(case, on)
    if mandate is None:
        return 0, 0, 0
    fee = mandate.recall_fee_cents
    return fee, (fee * mandate.vat_bp + 5000) // 10000, mandate.recall_notice_days


def recall_case(case: Case, *, reason: str, actor: User, judicial_confirmed: bool = False,
                on: date | None = None) -> CaseRecall:
    """Record the client's recall of `case`; close it at once when the mandate gives no notice."""
    on = on or today()
    reason = (reason or "").strip()
    if case.status in CLOSED:
        raise RecallError(_l("The case is already paid or closed."))
    if pending_recall(case) is not None:
        raise RecallError(_l("This case is already recalled: it closes on the day the notice ends."))
    if not reason:
        raise RecallError(_l("Say why the case is recalled."), "reason")
    if len(reason) > REASON_MAX:
        raise RecallError(_l("At most %(n)s characters.", n=REASON_MAX), "reason")
    judicial = in_judicial_stage(case)
    if judicial and not judicial_confirmed:
        raise RecallError(_l("The case is in the judicial stage: confirm that the proceeding stops and that the "
                             "costs already advanced stay as agreed, or keep the case."), "judicial_confirmed")
    fee, vat, notice = recall_terms(case, on)
    recall = CaseRecall(case_id=case.id, client_id=case.client_id, reason=reason, requested_on=on,
                        notice_days=notice, effective_on=on + timedelta(days=notice), fee_cents=fee,
                        fee_vat_cents=vat, currency=case.currency, judicial_confirmed=judicial,
                        requested_by_id=actor.id)
    db.session.add(recall)
    db.session.flush()
    audit.record("case.recalled", actor=actor, subject=recall, client_id=case.client_id,
                 after={"case": case.reference, "reason": reason, "effective_on": recall.effective_on,
                        "notice_days": notice, "fee_cents": fee, "fee_vat_cents": vat,
                        "judicial_confirmed": judicial})
    if notice == 0:
        take_effect(recall, on=on)
    return recall


def take_effect(recall: CaseRecall, *, on: date | None = None) -> None:
    """Close the recalled case with reason `recalled`; stop its proceeding if it has one."""
    on = on or today()
    case = recall.case
    if recall.status != RecallStatus.PENDING:
        return
    proceeding = open_proceeding_of(case)
    if proceeding is not None:
        stop_following(proceeding, on, actor=None, note=f"Dossier retiré par le client : {recall.reason}", reason="recalled")
    recall.status = RecallStatus.CLOSED.value
    if case.status not in CLOSED:
        closing = close_case(case, "recalled", actor=None, evidence=recall.reason, on=on)
        recall.closing_id = closing.id


def close_due_recalls(on: date) -> int:
    """Close every recalled case whose notice has run by `on`; return how many."""
    due = db.session.scalars(sa.select(CaseRecall).where(CaseRecall.status == RecallStatus.PENDING.value,
                                                         CaseRecall.effective_on <= on)
                             .order_by(CaseRecall.id)).all()
    for recall in due:
        take_effect(recall, on=on)
    return len(due)


def _mandate(case: Case, on: date) -> Mandate | None:
    active = case.client.active_mandate(on)
    if active is not None:
        return active
    started = [m for m in case.client.mandates if m.starts_on <= on]
    return max(started, key=lambda m: (m.starts_on, m.id), default=None)
