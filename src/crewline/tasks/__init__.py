"""Tasks and assignments: work pushed in by ML pipelines and the labels people give it (layer 3).

Routing (layer 5) decides *what* a worker should get; this domain owns the tables and the
atomic claim, submit and lease-expiry statements that keep the overlap invariants.
"""
