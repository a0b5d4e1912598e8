"""Crewline: the operating system for the human workforce behind AI training data."""

__version__ = "0.1.0"
