"""The execution stage: a plan's requests sent within the rate limit, answers merged."""
