"""``strongroom status``: one table of policies — compliant, last backup, last verified, key age.

For the person on call: the same facts as ``kubectl get backuppolicies`` plus the reasons of
every failing compliance check, read from the status the operator wrote.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``strongroom status``."""
    parser = subparsers.add_parser(
        "status",
        help="show the compliance of every BackupPolicy in a namespace",
        description="Table of policies: COMPLIANT, LAST BACKUP, LAST VERIFIED, KEY AGE, reasons.",
    )
    parser.add_argument("-n", "--namespace", default="default", help="namespace to show")
    parser.add_argument("--kubeconfig", type=Path, default=None, help="kubeconfig file")
    parser.set_defaults(handler=run)


def _age(text: str | None, now: datetime) -> str:
    if not text:
        return "never"
    from strongroom.planner.compliance import human  # noqa: PLC0415

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return "unknown"
    return f"{human(now - moment)} ago"


def rows(policies: list[dict[str, Any]], now: datetime) -> list[tuple[str, ...]]:
    """Return one table row per policy (name, compliant, last backup, verified, key age, why)."""
    table: list[tuple[str, ...]] = []
    for policy in sorted(policies, key=lambda p: p["metadata"]["name"]):
        status = policy.get("status") or {}
        checks = status.get("complianceChecks") or {}
        reasons = "; ".join(
            f"{name}: {check.get('reason', '')}"
            for name, check in sorted(checks.items())
            if check.get("status") != "True"
        )
        ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
        if ready is not None and ready.get("status") != "True":
            reasons = f"not ready: {ready.get('reason')}" + (f"; {reasons}" if reasons else "")
        table.append(
            (
                policy["metadata"]["name"],
                status.get("compliant") or "Unknown",
                _age((status.get("lastSuccessfulBackup") or {}).get("time"), now),
                _age((status.get("lastVerified") or {}).get("time"), now),
                _age((status.get("keyRing") or {}).get("primaryCreated"), now),
                reasons or "-",
            )
        )
    return table


def run(args: argparse.Namespace) -> int:
    """Print the table; returns 0, or 1 when any policy is not compliant."""
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    from rich.console import Console  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415

    from strongroom.kube.base import BACKUP_POLICIES  # noqa: PLC0415
    from strongroom.kube.client import RealKube  # noqa: PLC0415

    kube = await RealKube.connect(args.kubeconfig)
    try:
        policies = await kube.list(BACKUP_POLICIES, args.namespace)
    finally:
        await kube.close()
    table = Table(title=f"Backup policies in {args.namespace}")
    for column in ("POLICY", "COMPLIANT", "LAST BACKUP", "LAST VERIFIED", "KEY AGE", "REASONS"):
        table.add_column(column)
    found = rows(policies, datetime.now(UTC))
    for row in found:
        style = "green" if row[1] == "True" else "red" if row[1] == "False" else "yellow"
        table.add_row(*row, style=style)
    Console().print(table)
    return 0 if all(row[1] == "True" for row in found) else 1
