"""Background jobs of remittances."""
