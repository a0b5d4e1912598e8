"""Audit log: who changed what, when, with the values before and after (layer 0)."""
