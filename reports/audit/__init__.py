"""The audit screen: admins and managers search the audit trail, read each event's before and after, export it.

In reports, not in agency where the trail is written: a search by case or debtor reads those packages' tables.
"""
