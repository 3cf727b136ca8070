"""The agency and the plumbing every package shares."""
