"""Background jobs of letters: issuing one outside a request (the strategy's letters, bulk sends)."""

from __future__ import annotations

from agency.db import db
from agency.jobs import job
from agency.models import User
from cases.letters.letters import NO_LETTER_STATUSES, LetterOutOfOrder, LetterRefused, create_letter
from cases.models import Case


@job
def issue_letter_job(case_id: int, kind: str, strategy_step: int | None = None, actor_id: int | None = None) -> str:
    """Issue (or, for a formal notice, propose) a letter for a case; say what happened.

    Returns "issued", "proposed", "blocked" (the contact rules refused: the blocked action is kept),
    "out_of_order" when the order of letters refuses it (nothing is sent), or "skipped" when the case is
    gone or no longer collected. With a `strategy_step`, a retry finds the step's letter and sends
    nothing twice. Other refusals (nothing owed, creditor's address missing…) raise.
    """
    case = db.session.get(Case, case_id)
    if case is None or case.status in NO_LETTER_STATUSES:
        return "skipped"
    actor = db.session.get(User, actor_id) if actor_id else None
    try:
        letter = create_letter(case, kind, actor=actor, strategy_step=strategy_step)
    except LetterRefused:
        return "blocked"  # the job's commit keeps the blocked action and its reason
    except LetterOutOfOrder:
        return "out_of_order"
    return "proposed" if letter.status == "pending_approval" else "issued"
