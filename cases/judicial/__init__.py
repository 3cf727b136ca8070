"""Judicial escalation: when the amicable stage fails, the route to an enforceable title.

`routes.py` suggests the route from the case's facts; `proceedings.py` proposes it and gathers the
manager's and the client's approvals; `steps.py` follows the procedure step by step with its legal
deadlines (`deadlines.py`); `costs.py` records the fees advanced and the title that puts them on the
debtor; `pack.py` renders the file handed to the court; `settings.py` holds the law's figures as data.
"""
