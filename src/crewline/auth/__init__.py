"""Accounts, roles, login sessions and API tokens (layer 1)."""
