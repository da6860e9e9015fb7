"""Django rules (DJA): ORM N+1 patterns, queries in loops, sync ORM in async code, settings."""
