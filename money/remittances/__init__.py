"""Remittances to clients: commission, statements, payment of statements, the trust account."""
