"""The life of a case: claims, ledger, actions, promises."""
