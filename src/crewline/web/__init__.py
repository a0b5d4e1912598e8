"""Shared page infrastructure: templates, static files, tables, error pages.

It sits just above ``auth`` (pages need the caller and the CSRF token) and below every other
domain, whose ``pages.py`` modules import it.

Domain ``pages.py`` modules render through ``render``; role home pages live in ``crewline.home``.
"""
