"""Monitoring for the agencies (issue 17): figures per period, location and candidate group,
with disclosure control; pages, CSV and a monthly PDF report."""
