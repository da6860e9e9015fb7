"""FastAPI rules (FAS): endpoint pitfalls, dependencies, lifespan, validation, background work."""
