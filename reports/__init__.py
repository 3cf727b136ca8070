"""Managers' and clients' figures: recovery, liquidation, contacts, promises, channels, with their cases."""
