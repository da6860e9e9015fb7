"""Flask rules (FLK): debug mode left on, request JSON used without a schema."""
