"""Background jobs of cases.letters."""
