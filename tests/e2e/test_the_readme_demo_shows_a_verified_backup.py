"""Story: a new user runs `make demo` and sees a first encrypted backup, verified to the data.

The demo brings up its own control plane, PostgreSQL, S3 and operator; this runs it exactly as
`make demo` does (non-interactive, so it stops after the first verified backup and a key
rotation) and checks that what it prints is true.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.cluster import REPO_ROOT


def test_the_demo_reaches_a_verified_backup_and_a_compliant_policy(tmp_path: Path) -> None:
    # Given a checkout where `make test` has built everything
    # When the user runs the demo
    shown = subprocess.run(
        [sys.executable, "-m", "tests.support.demo", "--exit", "--workdir", str(tmp_path / "demo")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    # Then it ends well and tells the truth about the backup, the bucket and the policy
    assert shown.returncode == 0, shown.stdout[-3000:] + shown.stderr[-3000:]
    out = shown.stdout
    assert "verified at level equivalence: Passed" in out
    assert "/data.sr" in out
    assert "/manifest.json" in out
    assert "Succeeded" in out
    assert 'strongroom_policy_compliant{check="all"' in out
    assert "Key version 2 is primary." in out
    assert "Each manifest opens with the new primary v2 alone" in out
    assert "wrapped by key ring shop-db-keyring v2; opens" in out
    assert "Demo finished" in out
