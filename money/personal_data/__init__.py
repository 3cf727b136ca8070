"""A debtor's personal data: the subject access export, anonymisation after retention, and erasure.

In `money` because a debtor's data reaches every table holding their cases' rows, payments, plans and
remittance lines among them (`cases` may not import `money`); the tables are read from the schema, so a table
added later with a `case_id` or `debtor_id` is exported and searched without a change here.
"""
