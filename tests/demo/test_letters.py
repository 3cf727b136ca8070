"""The demo's past letters are letter rows: the history it shows obeys the order of letters."""

from __future__ import annotations

import sqlalchemy as sa

from agency import clock
from agency.db import utcnow
from agency.models import Client
from cases.letters.sequence import letter_allowed
from cases.models import Action, Case, Letter
from cases.work.strategy import advance_strategy
from tests.demo.test_demo import DEMO_CODES, run_demo


def test_the_demo_letters_are_letter_rows_and_no_case_gets_a_second_first_notice(app, db_session):
    run_demo(app)
    demo = sa.select(Case.id).join(Client).where(Client.code.in_(DEMO_CODES))
    posted = db_session.scalars(sa.select(Action).where(Action.case_id.in_(demo),
                                                        Action.kind.in_(["letter", "formal_notice"]))).all()
    assert posted and all(action.letter_id is not None for action in posted)
    letters = {letter.id: letter for letter in db_session.scalars(sa.select(Letter).where(Letter.case_id.in_(demo)))}
    assert {letters[a.letter_id].kind for a in posted if a.kind == "formal_notice"} == {"formal_notice"}
    first_notices = [letter.case_id for letter in letters.values() if letter.kind == "first_notice"]
    assert len(first_notices) == len(set(first_notices))  # one per case at most
    for letter in letters.values():  # each formal notice came after the first notice's deadline
        if letter.kind == "formal_notice":
            assert letter.first_notice.pay_by < letter.issued_on

    advance_strategy(utcnow())  # the daily run finds the first notice done: step 1 is not planned again
    planned = set(db_session.scalars(sa.select(Action.case_id).where(
        Action.case_id.in_(demo), Action.strategy_step == 1, Action.status == "scheduled")))
    assert not planned & set(first_notices)  # only cases placed in the last days, still without a letter
    case = db_session.get(Case, first_notices[0])
    assert letter_allowed(case, "first_notice", clock.today()).reason == "first_notice_sent"
