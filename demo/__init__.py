"""Demo data: a French agency with its clients, debtors and cases' pasts (`flask agency demo`).

It uses every other package; nothing but the command line imports it.
"""
