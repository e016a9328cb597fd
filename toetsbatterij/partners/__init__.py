"""Partner exchange: partner organisations, scopes, hashed API tokens, shares, read log (issue 13)."""
