"""The debtor's space: what a debtor sees and does from the link in a message, apart from the staff's pages.

It reads and writes through the operations of `money`, `cases` and `debtors`; only the app imports it.
"""
