"""Money that moves: payments, payment plans, remittances to clients and the agency's commission.

It imports `cases`, `debtors` and `agency`; `reports`, `alerts` and `demo` import it. What it adds to
a case's page, history, queue score and letter order it registers in `cases.extensions` (`case_parts`).
"""

from money import case_parts  # noqa: F401  (registers money's parts of a case as soon as money is imported)
from money.closing_reports import hooks  # noqa: F401, E402  (each closing asks for its report for the client)
