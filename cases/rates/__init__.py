"""Rate tables and the posting of interest and indemnities to case ledgers."""
