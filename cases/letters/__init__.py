"""Letters to debtors rendered to PDF: first notice, reminder, formal notice."""
