"""Persons across sessions: one record per person per organisation (issue 13)."""
