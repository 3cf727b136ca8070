"""Background jobs of cases.messaging."""
