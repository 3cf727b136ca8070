"""What a claim accrues after its due date, and the rate tables it is computed from.

`rules.py` holds the rules (B2B late interest and the €40 indemnity, consumer interest from the formal
notice, insolvency stops) and explains them period by period for the case screen; `sql.py` computes
the same figures for every claim at once; `series.py`, `sqlfuncs.py` and `tables.py` hold the rate
tables and their cumulative day-rate series; `posting.py` posts the differences to the ledger.
"""
