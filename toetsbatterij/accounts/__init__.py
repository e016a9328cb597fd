"""Staff accounts, roles, password hashing (argon2) and per-account login throttling."""
