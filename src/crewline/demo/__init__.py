"""The deterministic simulated organization behind ``crewline demo`` and the benchmarks.

``generator.build`` creates clients, vendors, staff accounts, the worker pool and candidates
through the domain services, from one seed: the same seed builds the same organization.
"""
