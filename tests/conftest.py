"""Test-tier wiring: the directory a test lives in decides its marker and its time budget.

``tests/unit`` → ``unit`` with Kopf's 2-second budget; ``tests/integration`` →
``integration``; ``tests/e2e`` → ``e2e``; ``tests/bench`` → ``bench`` (excluded from
``make test``). Real-component fixtures live in ``tests/support`` and are imported by the
tier conftests that need them, so unit tests never start a process.
"""

from __future__ import annotations

from pathlib import Path

import pytest

# Real-component fixtures; each starts its process lazily, only when a test asks for it.
pytest_plugins = [
    "tests.support.plugin_cluster",
    "tests.support.plugin_databases",
    "tests.support.plugin_s3",
]

_TIERS = {"unit": 2, "integration": 600, "e2e": 900, "bench": 3600}
_TESTS = Path(__file__).parent


def _tier(item: pytest.Item) -> str:
    try:
        return item.path.relative_to(_TESTS).parts[0]
    except ValueError:
        return ""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by its tier directory, give it that tier's timeout, run unit tests first.

    Order matters beyond failing fast: session fixtures (control plane, databases, S3) are torn
    down after the *last* test, inside its timeout, so the last test must not be a 2-second one.
    """
    order = list(_TIERS)
    items.sort(key=lambda item: order.index(t) if (t := _tier(item)) in order else len(order))
    for item in items:
        tier = _tier(item)
        if tier in _TIERS:
            item.add_marker(getattr(pytest.mark, tier))
            if item.get_closest_marker("timeout") is None:
                item.add_marker(pytest.mark.timeout(_TIERS[tier]))
