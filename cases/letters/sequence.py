"""The order letters follow on a case (DESIGN.md §4), in one place: the strategy and the collector ask here.

- a case has one first notice, never a second;
- a reminder goes once the first notice's deadline has passed; asked for before any first notice, it is
  the first notice (the first letter a debtor receives carries the R124-4 mentions);
- a formal notice goes once the last letter's deadline has passed, after a first notice, and one at a
  time awaits a manager;
- no demand for payment (first notice, reminder or formal notice) while a promise to pay or a payment
  plan runs and is not broken;
- no demand for payment of a prescribed claim (`cases.closing.limitation`): the case proposes closing.

The strategy skips a step a rule refuses, saying why; a collector may go on past the deadline and
promise rules only by giving a reason, which the case's history keeps. The other rules bind everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from agency.db import db
from agency.money import format_money
from agency.page_reads import read_once
from cases import extensions
from cases.actions import pending_promise
from cases.closing.limitation import prescribed_refusal
from cases.letters.labels import KIND
from cases.models import SENT_STATUSES, Case, Letter, LetterKind, LetterStatus

# Rules a collector may go past with a reason; the others (one first notice, a first notice before a
# formal notice, one formal notice awaiting approval) bind everyone. The demand stoppers other
# packages add (a running payment plan) may be gone past too.
OVERRIDABLE = frozenset({"first_notice_deadline", "last_letter_deadline", "promise_running"})


@dataclass(frozen=True)
class Refusal:
    """One rule that refuses the letter: its code and what it means for the person asking."""

    code: str
    text: str

    @property
    def overridable(self) -> bool:
        return self.code in OVERRIDABLE or self.code in extensions.demand_stoppers()

    @property
    def stops_demands(self) -> bool:
        """A rule that can start to refuse a formal notice while it awaits approval: its approval asks it again."""
        return self.code == "promise_running" or self.code in extensions.demand_stoppers()


@dataclass(frozen=True)
class Decision:
    """Whether a letter of `kind` may go now; `kind` is the letter that would be sent (see the module)."""

    kind: str
    refusals: tuple[Refusal, ...] = ()

    @property
    def allowed(self) -> bool:
        return not self.refusals

    @property
    def overridable(self) -> bool:
        """Whether a reason given by a collector lets the letter go despite the refusals."""
        return bool(self.refusals) and all(r.overridable for r in self.refusals)

    @property
    def reason(self) -> str:
        """The code of the first refusal ('' when allowed)."""
        return self.refusals[0].code if self.refusals else ""

    @property
    def explanation(self) -> str:
        return " ".join(r.text for r in self.refusals)


def letter_allowed(case: Case, kind: str, today: date) -> Decision:
    """Tell whether a letter of `kind` may be sent on `case` on `today`, and if not, why."""
    sent = _sent_letters(case)
    first = next((letter for letter in sent if letter.kind == LetterKind.FIRST_NOTICE), None)
    asked = LetterKind(kind)
    if asked is LetterKind.REMINDER and first is None:
        asked = LetterKind.FIRST_NOTICE
    refusals = [*_order(case, asked, sent, first, today), *_running(case, today), *_prescribed(case, today)]
    return Decision(asked.value, tuple(refusals))


def _order(case: Case, kind: LetterKind, sent: list[Letter], first: Letter | None, today: date) -> list[Refusal]:
    if kind is LetterKind.FIRST_NOTICE:
        if first is None:
            return []
        return [Refusal("first_notice_sent", _(
            "The first notice was already sent on %(date)s (%(reference)s): a case has only one.",
            date=format_date(first.issued_on), reference=first.reference))]
    if first is None:
        return [Refusal("no_first_notice", _("Send the first notice before a formal notice."))]
    refusals = []
    if kind is LetterKind.FORMAL_NOTICE and (pending := _pending_formal_notice(case)):
        refusals.append(Refusal("formal_notice_pending", _(
            "A formal notice (%(reference)s) is already awaiting approval.", reference=pending)))
    if kind is LetterKind.REMINDER and _not_passed(first, today):
        refusals.append(Refusal("first_notice_deadline", _(
            "The first notice %(reference)s gives the debtor until %(date)s to pay: a reminder can go from "
            "%(next)s.", reference=first.reference, date=format_date(first.pay_by),
            next=format_date(first.pay_by + timedelta(days=1)))))
    last = sent[-1]
    if kind is LetterKind.FORMAL_NOTICE and _not_passed(last, today):
        refusals.append(Refusal("last_letter_deadline", _(
            "The last letter, %(kind)s %(reference)s, gives the debtor until %(date)s to pay: a formal notice "
            "can go from %(next)s.", kind=str(KIND[last.kind]).lower(), reference=last.reference,
            date=format_date(last.pay_by), next=format_date(last.pay_by + timedelta(days=1)))))
    return refusals


def _running(case: Case, today: date) -> list[Refusal]:
    """Refuse any demand for payment while a promise runs, or what another package stops (a running plan)."""
    refusals = []
    promise = pending_promise(case)
    if promise is not None:
        refusals.append(Refusal("promise_running", _(
            "The debtor promised to pay %(amount)s by %(date)s: no demand for payment while the promise runs.",
            amount=format_money(promise.amount_cents, promise.currency, locale=str(get_locale() or "fr")),
            date=format_date(promise.due_on))))
    for code, stopper in extensions.demand_stoppers().items():
        text = stopper(case)
        if text is not None:
            refusals.append(Refusal(code, text))
    return refusals


def _prescribed(case: Case, today: date) -> list[Refusal]:
    """Refuse any demand while a claim still owed is prescribed: it binds everyone, no reason lets it go."""
    text = prescribed_refusal(case, today)
    return [Refusal("claim_prescribed", text)] if text else []


@read_once(key=lambda case: case.id)
def _sent_letters(case: Case) -> list[Letter]:
    """Return the letters the debtor received, in the order they were sent."""
    return list(db.session.scalars(
        sa.select(Letter)
        .where(Letter.case_id == case.id, Letter.status.in_(SENT_STATUSES))
        .order_by(Letter.issued_on, Letter.id)
    ))


def _pending_formal_notice(case: Case) -> str | None:
    return db.session.scalar(sa.select(Letter.reference).where(
        Letter.case_id == case.id, Letter.status == LetterStatus.PENDING_APPROVAL.value).limit(1))


def _not_passed(letter: Letter, today: date) -> bool:
    """Whether the debtor is still within the letter's deadline (it passes the day after `pay_by`)."""
    return letter.pay_by is not None and today <= letter.pay_by
