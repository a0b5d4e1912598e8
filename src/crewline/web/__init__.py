"""Shared page infrastructure: templates, static files, tables, error pages (layer 0).

Domain ``pages.py`` modules render through ``render``; role home pages live in ``crewline.home``.
"""
