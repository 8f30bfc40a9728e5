"""A backup retention began deleting is deleted again, whatever the rules say by now.

Its objects may already be gone and its audit record is incomplete, so keeping it would keep a
husk and leave the deletion unrecorded; the other backups are decided as if it were not there.
"""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from planner_world import at, backup

from strongroom.api import RetentionSpec
from strongroom.api.backup import VerificationResult
from strongroom.planner import Reason
from strongroom.planner.retention import select

NOW = at("2026-06-30 12:00")
ZONE = ZoneInfo("UTC")


def test_a_begun_deletion_is_finished_even_of_the_newest_verified_backup() -> None:
    # Given three backups, the newest verified one already being deleted by retention
    oldest = backup("2026-06-27 03:00")
    middle = backup("2026-06-28 03:00")
    newest = replace(backup("2026-06-29 03:00", verified=VerificationResult.PASSED), deleting=True)
    rules = RetentionSpec.model_validate({"keepLast": 5})

    # When retention decides under rules that would keep everything
    decisions = {d.name: d for d in select((oldest, middle, newest), rules, ZONE, NOW)}

    # Then the begun deletion is finished and the rest is decided without it
    assert (decisions[newest.name].keep, decisions[newest.name].reason) == (
        False,
        Reason.RETENTION_RESUMED,
    )
    assert decisions[oldest.name].keep
    assert decisions[middle.name].keep
    assert list(decisions) == [newest.name, middle.name, oldest.name]
