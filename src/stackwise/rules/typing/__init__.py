"""TYP6xx: the public API is typed (parameters, returns, attributes), `Any` and `= None` honest."""
