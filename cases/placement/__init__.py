"""Placement: a client's file of unpaid invoices read, checked and turned into cases."""
