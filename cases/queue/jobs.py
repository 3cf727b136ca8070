"""Background jobs of cases.queue."""
