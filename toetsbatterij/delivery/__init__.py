"""Administering tests: test definitions, exam sessions, candidates, tickets, attempts, proctoring.

No flask here: use-cases receive the database session, a clock and the state store.
"""
