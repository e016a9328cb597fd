"""Server-side login sessions of staff members and candidates (issue 10, item 1)."""
