"""Payments: recording, allocation to the debt, receipts, reversals, and what clients see of them."""
