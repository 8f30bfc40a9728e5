"""The report command's small parts: cluster-wide paths, time flags, and honest gaps."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from strongroom.cli.main import build_parser
from strongroom.cli.report import parse_moment, read_cluster
from strongroom.errors import KubeError
from strongroom.kube.base import BACKUP_POLICIES, Kind
from strongroom.kube.cluster_kinds import SERVICES, STATEFULSETS, everywhere

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_the_empty_namespace_lists_across_every_namespace() -> None:
    wide = everywhere(BACKUP_POLICIES)
    assert wide.path("") == "/apis/strongroom.dev/v1alpha1/backuppolicies"
    assert wide.path("shop") == BACKUP_POLICIES.path("shop")
    assert everywhere(SERVICES).path("") == "/api/v1/services"
    assert everywhere(STATEFULSETS).path("shop") == "/apis/apps/v1/namespaces/shop/statefulsets"


def test_since_and_until_take_rfc3339_or_an_age() -> None:
    assert parse_moment("30d", NOW) == NOW - timedelta(days=30)
    assert parse_moment("2026-11-01T00:00:00Z", NOW) == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_moment("2026-11-01T00:00:00", NOW) == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_moment(None, NOW) is None
    with pytest.raises(ValueError, match="Invalid isoformat"):
        parse_moment("last tuesday", NOW)


def test_the_command_is_registered_with_its_formats() -> None:
    args = build_parser().parse_args(["report", "-A", "--format", "csv", "--policy", "orders"])
    assert (args.all_namespaces, args.format, args.policy) == (True, "csv", ["orders"])
    with pytest.raises(SystemExit):
        build_parser().parse_args(["report", "--format", "xml"])


class _NoServiceRights:
    """A KubeClient that may list Strongroom's kinds but not Services (403)."""

    async def list(self, kind: Kind, namespace: str, *, selector: str | None = None) -> list[Any]:
        del selector
        if kind.plural in {"services", "statefulsets"}:
            raise KubeError(f"list {kind.plural} in {namespace}: 403 forbidden", status=403)
        return [{"metadata": {"name": "orders", "namespace": "shop"}}]


def test_coverage_that_cannot_be_read_is_a_note_not_an_empty_list() -> None:
    snap = asyncio.run(
        read_cluster(_NoServiceRights(), namespace="shop", policies=[], coverage=True)  # type: ignore[arg-type]
    )
    assert snap.services == []
    assert len(snap.notes) == 1
    assert "403" in snap.notes[0]
    assert "coverage" in snap.notes[0]
