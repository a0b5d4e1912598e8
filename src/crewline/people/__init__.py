"""People: persons, the worker pool, tiers, skills, languages and availability (layer 2)."""
