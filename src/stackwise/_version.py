"""The installed version of stackwise (also part of every cache key)."""

__version__ = "0.1.0"
