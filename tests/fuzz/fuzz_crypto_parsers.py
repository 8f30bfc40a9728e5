"""A long fuzzing session over the crypto format parsers, outside the unit tests' time budget.

Runs the properties of ``tests/unit/crypto/test_format_parsers_fail_only_with_our_errors.py``
with many more examples (default 5,000 each) and no 2-second limit::

    STRONGROOM_FUZZ_EXAMPLES=20000 .venv/bin/python tests/fuzz/fuzz_crypto_parsers.py

It fails with the first input that makes a parser raise anything but our own error types;
hypothesis prints the shrunk input, which belongs in the unit test as an explicit example.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "tests/unit/crypto/test_format_parsers_fail_only_with_our_errors.py"


class NoTimeBudget:
    """Give every collected test ``timeout(0)`` before the tier hook would give it 2 s."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Mark first, so the tier hook sees a timeout marker and leaves it alone."""
        for item in items:
            item.add_marker(pytest.mark.timeout(0))


def main() -> int:
    """Run the fuzz properties with a large example count."""
    os.environ.setdefault("STRONGROOM_FUZZ_EXAMPLES", "5000")
    os.chdir(ROOT)
    return int(pytest.main([str(TARGET), "-q", "-p", "no:cacheprovider"], plugins=[NoTimeBudget()]))


if __name__ == "__main__":
    sys.exit(main())
