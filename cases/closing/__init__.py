"""The end of a case: closing with a reason and reopening (write-offs by ledger entries), the client's
recall and credit notes, the closing report returned to the client, and the claims' limitation dates."""
