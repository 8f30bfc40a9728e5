"""``strongroom restore``: ask the operator to restore a backup, and follow it to its end.

It creates a ``Restore`` (a named Backup, or ``--latest-verified --policy P``) through the API
like kubectl, with the ``strongroom.dev/requested-by`` annotation naming who the API server
says you are (so the audit record names you), then prints the progress as the operator
writes it and the result: the backup restored, the duration, the erasure ledger replay.
Overwriting a database that already holds tables needs ``--allow-overwrite``; without it the
operator refuses and the target is not touched.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from strongroom.cli.session import add_api_arguments, mark_requester, with_api

if TYPE_CHECKING:
    from strongroom.kube.base import KubeClient

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``strongroom restore``."""
    parser = subparsers.add_parser(
        "restore",
        help="restore a backup into a database (creates a Restore and follows it)",
        description="Create a Restore of BACKUP (or of the newest verified backup of --policy) "
        "into the target database, and wait for its result.",
    )
    parser.add_argument("backup", nargs="?", help="name of the Backup to restore")
    parser.add_argument(
        "--latest-verified",
        action="store_true",
        help="restore the newest backup of --policy whose verification passed",
    )
    parser.add_argument("--policy", help="BackupPolicy whose newest verified backup to restore")
    parser.add_argument("--target-host", required=True, help="host of the target server")
    parser.add_argument("--target-port", type=int, default=None, help="port of the target server")
    parser.add_argument("--target-database", required=True, help="database to restore into")
    parser.add_argument(
        "--target-secret",
        required=True,
        help="Secret with the target's login (keys username and password)",
    )
    parser.add_argument(
        "--target-tls",
        choices=("disable", "require", "verify-full"),
        default="verify-full",
        help="TLS to the target (default verify-full)",
    )
    parser.add_argument(
        "--allow-overwrite",
        action="store_true",
        help="restore even if the target database already holds tables (replaces them)",
    )
    parser.add_argument(
        "--skip-erasure-replay",
        action="store_true",
        help="do not replay erasure ledgers (recorded in the audit trail; erased people return)",
    )
    parser.add_argument("--name", help="name of the Restore (default: generated)")
    add_api_arguments(parser, namespace_of="backups")
    parser.add_argument("--no-wait", action="store_true", help="create the Restore and return")
    parser.add_argument(
        "--timeout", type=float, default=6 * 3600, help="seconds to wait (default 6 h)"
    )
    parser.set_defaults(handler=run)


def source_of(args: argparse.Namespace) -> dict[str, Any] | str:
    """Return the spec's source fields, or the usage error naming the flags to fix."""
    if args.latest_verified:
        if args.backup:
            return "give either BACKUP or --latest-verified --policy P, not both"
        if not args.policy:
            return "--latest-verified needs --policy P (whose backups to choose from)"
        return {"policyRef": {"name": args.policy}, "latestVerified": True}
    if args.policy:
        return "--policy is only used with --latest-verified; to restore one backup name it"
    if not args.backup:
        return "name the Backup to restore, or use --latest-verified --policy P"
    return {"backupRef": {"name": args.backup}}


def restore_manifest(args: argparse.Namespace, source: dict[str, Any], name: str) -> dict[str, Any]:
    """Return the Restore object the command creates."""
    target: dict[str, Any] = {
        "host": args.target_host,
        "database": args.target_database,
        "credentialsSecretRef": {"name": args.target_secret},
        "tls": {"mode": args.target_tls},
    }
    if args.target_port is not None:
        target["port"] = args.target_port
    return {
        "apiVersion": "strongroom.dev/v1alpha1",
        "kind": "Restore",
        "metadata": {"name": name, "namespace": args.namespace},
        "spec": {
            **source,
            "target": target,
            "allowOverwrite": bool(args.allow_overwrite),
            "replayErasureLedger": not args.skip_erasure_replay,
        },
    }


def default_name(source: dict[str, Any], now: datetime) -> str:
    """``<backup or policy>-<UTC second>``, a DNS label of at most 63 characters."""
    from strongroom.manifests.labels import child_name  # noqa: PLC0415

    base = (source.get("backupRef") or source.get("policyRef") or {}).get("name", "restore")
    return child_name(base, now.strftime("%Y%m%d%H%M%S"))


def run(args: argparse.Namespace) -> int:
    """Create the Restore (and wait); returns the exit code."""
    source = source_of(args)
    if isinstance(source, str):
        sys.stderr.write(f"strongroom restore: {source}\n")
        return EXIT_USAGE
    return asyncio.run(_run(args, source))


async def _run(args: argparse.Namespace, source: dict[str, Any]) -> int:
    from strongroom.errors import KubeError  # noqa: PLC0415
    from strongroom.kube.base import RESTORES, AlreadyExists  # noqa: PLC0415

    name = args.name or default_name(source, datetime.now(UTC))

    async def create(kube: KubeClient) -> int:
        body = restore_manifest(args, source, name)
        await mark_requester(kube, body)
        outcome = await kube.create(RESTORES, args.namespace, body)
        verb = "exists already" if isinstance(outcome, AlreadyExists) else "created"
        sys.stdout.write(
            f"Restore {args.namespace}/{name} {verb}.\n"
            f"  kubectl get restore {name} -n {args.namespace} -o wide -w\n"
        )
        if args.no_wait:
            return EXIT_OK
        return await _follow(kube, args.namespace, name, args.timeout)

    return await with_api(args, create, handled=KubeError)


async def _follow(kube: Any, namespace: str, name: str, wait_seconds: float) -> int:
    from strongroom.kube.base import RESTORES  # noqa: PLC0415

    deadline = time.monotonic() + wait_seconds
    shown = ""
    while time.monotonic() < deadline:
        status = ((await kube.get(RESTORES, namespace, name)) or {}).get("status") or {}
        progress = status.get("progress") or ""
        if progress and progress != shown:
            sys.stdout.write(f"  {progress}\n")
            shown = progress
        phase = status.get("phase")
        if phase in {"Succeeded", "Failed"}:
            sys.stdout.write(result_text(status))
            return EXIT_OK if phase == "Succeeded" else EXIT_FAILED
        await asyncio.sleep(2)
    sys.stderr.write(f"Restore {name} did not finish within {wait_seconds:.0f}s\n")
    return EXIT_FAILED


def result_text(status: dict[str, Any]) -> str:
    """The lines printed when a Restore has ended."""
    lines = [
        f"{status.get('phase')}: {status.get('reason', '')}: {status.get('message', '')}",
        f"  backup:   {status.get('backupName') or '-'}",
    ]
    if status.get("durationSeconds") is not None:
        lines.append(f"  duration: {status['durationSeconds']:.1f}s")
    erasure = status.get("erasure")
    if erasure:
        lines.append(
            f"  erasure:  {erasure.get('result')}: {erasure.get('entries', 0)} entries, "
            f"{erasure.get('rowsDeleted', 0)} rows deleted"
            + (f" (ledgers {', '.join(erasure['ledgers'])})" if erasure.get("ledgers") else "")
        )
    return "\n".join(lines) + "\n"
