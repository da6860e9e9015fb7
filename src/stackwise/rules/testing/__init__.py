"""TST9xx: the test setup runs what it claims to run, and tests stay off the real network."""
