"""The satisfaction survey after the test (issue 17): a few questions aligned across agencies,
answered on the candidate's screen, stored apart from the person."""
