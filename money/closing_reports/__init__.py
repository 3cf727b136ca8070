"""Closing reports (restitution): what the agency returns to its client for each case it closes."""
