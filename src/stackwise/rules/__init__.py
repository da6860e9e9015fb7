"""The rules: one module per rule, grouped by family (aio, fastapi, django, ...)."""
