"""Routing: which task a worker should get next (layer 5).

Eligibility (live project, membership, tier, languages, skills) and ranking (skill-profile
match and urgency) happen here; the atomic lease is ``tasks.service.claim``.
"""
