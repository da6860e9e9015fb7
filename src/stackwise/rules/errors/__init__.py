"""Error-handling rules (ERR) for FastAPI, Flask and Django: leaks, swallowed and shapeless errors."""
