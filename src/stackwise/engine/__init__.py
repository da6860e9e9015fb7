"""The checker engine: discover -> parse and extract facts (parallel, cached) -> link -> report."""
