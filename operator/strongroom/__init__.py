"""Strongroom: encrypted, verified, compliant database backups for Kubernetes.

Importing the package has no side effects; the operator, agent and CLI live in subpackages.
"""

__version__ = "0.1.0"
