"""Pytest fixtures for the databases test component (registered in tests/conftest.py)."""
