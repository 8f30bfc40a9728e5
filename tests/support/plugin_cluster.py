"""Pytest fixtures for the cluster test component (registered in tests/conftest.py)."""
