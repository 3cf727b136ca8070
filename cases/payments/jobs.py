"""Background jobs of payments."""
