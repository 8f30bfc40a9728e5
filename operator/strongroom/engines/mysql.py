"""mysql engine."""
