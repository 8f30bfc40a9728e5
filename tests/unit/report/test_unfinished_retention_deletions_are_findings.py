"""A retention deletion whose ``started`` record has no ``succeeded``/``failed`` after it is a
finding in every format and makes the report not compliant; a finished one, also after a retry,
is not listed."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import pytest
from report_world import NOW, backup_body, healthy_backups, policy_body
from rich.console import Console

from strongroom.audit import AuditAction, AuditRecord, AuditResult
from strongroom.cli.main import build_parser
from strongroom.cli.report import audit_notes
from strongroom.compliance import ComplianceReport, build_report
from strongroom.compliance.render import to_csv, to_json, to_markdown
from strongroom.compliance.report import unfinished_deletions
from strongroom.compliance.table import print_table

OLD = "orders-202609010300"
T0 = NOW - timedelta(days=2)


def deletion(
    result: AuditResult, at: datetime, *, backup: str = OLD, **details: bool
) -> AuditRecord:
    """A ``retention-delete`` record as :func:`controller.effects.delete_backup` writes it."""
    return AuditRecord(
        time=at,
        actor="strongroom-operator",
        action=AuditAction.RETENTION_DELETE,
        namespace="shop",
        policy="orders",
        backup=backup,
        result=result,
        reason="retention: maxAge",
        details=details,
    )


def started(at: datetime = T0, **details: bool) -> AuditRecord:
    return deletion(AuditResult.STARTED, at, backup=OLD, **details)


def report_of(
    *records: AuditRecord, backups: list[dict[str, object]] | None = None
) -> ComplianceReport:
    return build_report([policy_body()], backups or healthy_backups(), NOW, audit=records)


def test_a_started_deletion_without_an_outcome_is_listed_with_what_existed() -> None:
    report = report_of(started(dataExists=True, manifestExists=True))
    assert report.policies[0].compliant == "True"  # the planner's verdict, as the metrics say
    assert not report.compliant
    assert report.findings == ("1 retention deletion unfinished",)
    (found,) = report.unfinished
    assert (found.namespace, found.policy, found.backup) == ("shop", "orders", OLD)
    assert (found.started, found.attempts, found.reason) == (T0, 1, "retention: maxAge")
    assert (found.data_exists, found.manifest_exists, found.backup_listed) == (True, True, False)
    assert found.finding.startswith(
        f"deletion of {OLD} started at 2026-11-21T09:00:00.000000Z, never completed"
    )
    assert "its Backup is gone; data and manifest existed" in found.finding


def test_every_format_shows_the_unfinished_deletion() -> None:
    report = report_of(started(dataExists=True, manifestExists=False))
    body = json.loads(to_json(report))
    assert body["compliant"] is False
    assert body["findings"] == ["1 retention deletion unfinished"]
    (listed,) = body["unfinishedDeletions"]
    assert listed["backup"] == OLD
    assert listed["started"] == "2026-11-21T09:00:00Z"
    assert (listed["dataExists"], listed["manifestExists"], listed["backupListed"]) == (
        True,
        False,
        False,
    )
    assert body["policies"][0]["retention"]["unfinishedDeletions"] == [OLD]
    (row,) = csv.DictReader(io.StringIO(to_csv(report)))
    assert row["unfinished_deletions"] == OLD
    text = to_markdown(report)
    assert "## Unfinished retention deletions" in text
    assert "**not compliant** (1 retention deletion unfinished)" in text
    assert f"deletion of {OLD} started at" in text
    out = io.StringIO()
    print_table(report, Console(file=out, width=300, color_system=None))
    assert "Unfinished retention deletions" in out.getvalue()
    assert "1 retention deletion unfinished" in out.getvalue()


@pytest.mark.parametrize(
    "trail",
    [
        pytest.param(
            [started(), deletion(AuditResult.SUCCEEDED, T0 + timedelta(seconds=3))],
            id="started-then-succeeded",
        ),
        pytest.param(
            [
                started(),
                started(T0 + timedelta(minutes=1)),
                deletion(AuditResult.SUCCEEDED, T0 + timedelta(minutes=2)),
            ],
            id="a-second-attempt-succeeded",
        ),
        pytest.param(
            [started(), deletion(AuditResult.SUCCEEDED, T0)],
            id="same-instant-intent-sorts-first",
        ),
        pytest.param(
            [started(), deletion(AuditResult.FAILED, T0 + timedelta(seconds=3))],
            id="started-then-failed",
        ),
    ],
)
def test_a_deletion_with_a_later_outcome_is_not_listed(trail: list[AuditRecord]) -> None:
    report = report_of(*reversed(trail))  # the order read from the bucket does not matter
    assert report.unfinished == ()
    assert report.compliant
    assert "None in the audit trail read." in to_markdown(report)


def test_retries_without_an_outcome_count_from_the_first_and_say_what_the_last_saw() -> None:
    trail = [
        deletion(AuditResult.STARTED, T0 - timedelta(days=1), backup="orders-202608010300"),
        deletion(AuditResult.SUCCEEDED, T0 - timedelta(hours=23), backup="orders-202608010300"),
        started(T0, dataExists=True, manifestExists=True),
        started(T0 + timedelta(hours=1), dataExists=False, manifestExists=True),
    ]
    (found,) = unfinished_deletions(trail)
    assert (found.backup, found.started, found.attempts) == (OLD, T0, 2)
    assert (found.data_exists, found.manifest_exists) == (False, True)


def test_a_backup_still_listed_is_a_deletion_the_operator_can_still_finish() -> None:
    slot = datetime(2026, 9, 1, 3, 0, tzinfo=NOW.tzinfo)
    report = report_of(started(), backups=[*healthy_backups(), backup_body(slot)])
    (found,) = report.unfinished
    assert found.backup_listed
    assert "its Backup is still Terminating" in found.finding
    assert (found.data_exists, found.manifest_exists) == (None, None)  # not recorded


def test_other_actions_and_backups_neither_open_nor_close_a_deletion() -> None:
    other = AuditRecord(
        time=T0 + timedelta(seconds=5),
        actor="strongroom-operator",
        action=AuditAction.BACKUP,
        namespace="shop",
        policy="orders",
        backup=OLD,
        result=AuditResult.SUCCEEDED,
    )
    elsewhere = deletion(AuditResult.SUCCEEDED, T0 + timedelta(seconds=5), backup="orders-x")
    assert [u.backup for u in unfinished_deletions([started(), other, elsewhere])] == [OLD]
    assert unfinished_deletions([other, elsewhere]) == ()


@pytest.mark.parametrize(
    ("flags", "note"),
    [
        ([], "not checked (no audit trail read"),
        (["--audit-from-policy", "--since", "30d"], "only within --since/--until"),
        (["--audit-bucket", "backups"], None),
    ],
)
def test_the_command_says_when_unfinished_deletions_were_not_fully_checked(
    flags: list[str], note: str | None
) -> None:
    notes = audit_notes(build_parser().parse_args(["report", *flags]))
    assert [note in n for n in notes] == ([True] if note else [])
