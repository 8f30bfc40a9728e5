"""postgres engine."""
