"""The life of a case: placement (how invoices arrive), claims, ledger, actions, promises, the client API."""
