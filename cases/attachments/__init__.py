"""Files attached to a case by staff or by the client from its portal."""
