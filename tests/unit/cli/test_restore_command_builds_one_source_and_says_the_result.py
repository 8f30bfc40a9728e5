"""``strongroom restore`` asks for exactly one source (usage errors name the flags), builds the
Restore a person would write by hand, and prints the result a person needs on call."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import pytest

from strongroom.api.restore import RestoreSpec
from strongroom.cli.main import build_parser
from strongroom.cli.restore import (
    EXIT_USAGE,
    default_name,
    restore_manifest,
    result_text,
    run,
    source_of,
)

TARGET = ["--target-host", "db", "--target-database", "shop", "--target-secret", "login"]


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["restore", *argv, *TARGET])


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        ((), "name the Backup to restore, or use --latest-verified --policy P"),
        (("b1", "--latest-verified", "--policy", "p"), "not both"),
        (("--latest-verified",), "--latest-verified needs --policy P"),
        (("--policy", "p"), "--policy is only used with --latest-verified"),
    ],
)
def test_a_missing_or_double_source_is_a_usage_error(
    argv: tuple[str, ...], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse(*argv)
    assert says in str(source_of(args))
    assert run(args) == EXIT_USAGE
    assert says in capsys.readouterr().err


def test_the_restore_is_what_a_person_would_write_and_the_schema_accepts_it() -> None:
    args = parse(
        "--latest-verified", "--policy", "shop", "--allow-overwrite", "--target-port", "6432"
    )
    source = source_of(args)
    assert source == {"policyRef": {"name": "shop"}, "latestVerified": True}
    assert isinstance(source, dict)
    body = restore_manifest(args, source, "r1")
    spec = RestoreSpec.model_validate(body["spec"])
    assert spec.allow_overwrite is True
    assert spec.replay_erasure_ledger is True
    assert spec.target.port == 6432
    assert spec.target.tls.mode.value == "verify-full"


def test_default_names_are_dns_labels_from_the_source_and_the_second() -> None:
    now = datetime(2026, 12, 1, 15, 4, 5, tzinfo=UTC)
    assert default_name({"backupRef": {"name": "shop-1"}}, now) == "shop-1-20261201150405"
    long = default_name({"backupRef": {"name": "x" * 80}}, now)
    assert len(long) <= 63
    assert long.endswith("-20261201150405")


def test_the_result_names_backup_duration_and_erasure_replay() -> None:
    text = result_text(
        {
            "phase": "Succeeded", "reason": "Restored", "message": "restored", "backupName": "b1",
            "durationSeconds": 41.72,
            "erasure": {"result": "Replayed", "entries": 2, "rowsDeleted": 9, "ledgers": ["gdpr"]},
        }
    )  # fmt: skip
    assert text.splitlines() == [
        "Succeeded: Restored: restored",
        "  backup:   b1",
        "  duration: 41.7s",
        "  erasure:  Replayed: 2 entries, 9 rows deleted (ledgers gdpr)",
    ]
