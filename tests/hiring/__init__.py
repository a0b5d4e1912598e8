"""Tests for crewline.hiring."""
