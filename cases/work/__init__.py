"""Collector actions on a case: calls, promises, callbacks, disputes; the default strategy."""
