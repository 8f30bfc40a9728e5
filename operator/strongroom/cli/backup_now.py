"""``strongroom backup-now POLICY``: ask for a backup now, through the API like kubectl.

It creates a ``Backup`` with trigger ``manual`` and a deterministic name (policy and the
request second), which the operator starts on its next tick — after any run in progress, since
a policy runs one backup at a time. With ``--wait`` it follows the Backup to its end.

The Backup carries ``strongroom.dev/requested-by``: the user name the API server authenticated
this client as (a SelfSubjectReview, the API behind ``kubectl auth whoami``), so the audit
record of the run names who asked. Without the right to ask, the annotation is left out and
the run is recorded as the operator's.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from strongroom.cli.session import add_policy_arguments, mark_requester, with_policy

if TYPE_CHECKING:
    from strongroom.kube.base import KubeClient

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``strongroom backup-now``."""
    parser = subparsers.add_parser(
        "backup-now",
        help="create an on-demand Backup of a policy",
        description="Create a manual Backup of POLICY; the operator runs it next.",
    )
    add_policy_arguments(parser)
    parser.add_argument("--wait", action="store_true", help="wait until the backup has finished")
    parser.add_argument(
        "--timeout", type=float, default=3600, help="seconds to wait with --wait (default 3600)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Create the Backup (and optionally wait); returns the exit code."""
    from strongroom.errors import KubeError  # noqa: PLC0415

    async def create(kube: KubeClient, _policy: dict[str, Any]) -> int:
        return await _create(kube, args)

    return asyncio.run(with_policy(args, create, handled=KubeError))


async def _create(kube: KubeClient, args: argparse.Namespace) -> int:
    from strongroom.api.backup import Trigger, backup_name  # noqa: PLC0415
    from strongroom.kube.base import BACKUPS, AlreadyExists  # noqa: PLC0415
    from strongroom.manifests.backups import build_backup  # noqa: PLC0415

    now = datetime.now(UTC).replace(microsecond=0)
    name = backup_name(args.policy, now, Trigger.MANUAL)
    body = build_backup(
        policy=args.policy,
        namespace=args.namespace,
        name=name,
        slot=now,
        trigger=Trigger.MANUAL,
    )
    await mark_requester(kube, body)
    outcome = await kube.create(BACKUPS, args.namespace, body)
    verb = "exists already" if isinstance(outcome, AlreadyExists) else "created"
    sys.stdout.write(
        f"Backup {args.namespace}/{name} {verb}.\n"
        f"  kubectl get backup {name} -n {args.namespace} -w\n"
        f"  kubectl describe backuppolicy {args.policy} -n {args.namespace}\n"
    )
    if not args.wait:
        return EXIT_OK
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        current = await kube.get(BACKUPS, args.namespace, name) or {}
        phase = (current.get("status") or {}).get("phase")
        if phase in {"Succeeded", "Failed"}:
            message = (current.get("status") or {}).get("message", "")
            sys.stdout.write(f"{phase}: {message}\n")
            return EXIT_OK if phase == "Succeeded" else EXIT_FAILED
        await asyncio.sleep(2)
    sys.stderr.write(f"Backup {name} did not finish within {args.timeout:.0f}s\n")
    return EXIT_FAILED
