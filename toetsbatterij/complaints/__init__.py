"""Complaints about a result or the test conditions, their review and outcome (issue 13, item 5;
the candidate's intake, issue 17, item 5). See ``service`` and ``docs/complaints.md``."""
