"""Role home pages: each role lands on the figures it asks about (composition layer)."""
