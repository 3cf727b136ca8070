"""Background jobs of rates."""
