"""Background jobs of plans."""
