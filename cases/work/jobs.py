"""Background jobs of cases.work."""
