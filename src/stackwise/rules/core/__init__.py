"""Findings the engine itself reports (SW): files it could not analyse, rules that failed."""
