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
from pathlib import Path
from typing import TYPE_CHECKING

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
    parser.add_argument("policy", help="name of the BackupPolicy")
    parser.add_argument("-n", "--namespace", default="default", help="namespace of the policy")
    parser.add_argument("--kubeconfig", type=Path, default=None, help="kubeconfig file")
    parser.add_argument("--wait", action="store_true", help="wait until the backup has finished")
    parser.add_argument(
        "--timeout", type=float, default=3600, help="seconds to wait with --wait (default 3600)"
    )
    parser.set_defaults(handler=run)


async def whoami(kube: KubeClient) -> str | None:
    """Return the user name the API server knows this client as, or ``None`` if not told."""
    from strongroom.errors import KubeError  # noqa: PLC0415
    from strongroom.kube.base import Created  # noqa: PLC0415
    from strongroom.kube.cluster_kinds import SELF_SUBJECT_REVIEWS, everywhere  # noqa: PLC0415

    review = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    try:
        outcome = await kube.create(everywhere(SELF_SUBJECT_REVIEWS), "", review)
    except KubeError:
        return None
    if not isinstance(outcome, Created):
        return None
    user = ((outcome.body.get("status") or {}).get("userInfo") or {}).get("username")
    return str(user) if user else None


def run(args: argparse.Namespace) -> int:
    """Create the Backup (and optionally wait); returns the exit code."""
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    from strongroom.api.backup import Trigger, backup_name  # noqa: PLC0415
    from strongroom.errors import KubeError  # noqa: PLC0415
    from strongroom.kube.base import BACKUP_POLICIES, BACKUPS, AlreadyExists  # noqa: PLC0415
    from strongroom.kube.client import RealKube  # noqa: PLC0415
    from strongroom.manifests.backups import build_backup  # noqa: PLC0415
    from strongroom.manifests.labels import REQUESTED_BY  # noqa: PLC0415

    kube = await RealKube.connect(args.kubeconfig)
    try:
        if await kube.get(BACKUP_POLICIES, args.namespace, args.policy) is None:
            sys.stderr.write(f"BackupPolicy {args.namespace}/{args.policy} does not exist\n")
            return EXIT_USAGE
        now = datetime.now(UTC).replace(microsecond=0)
        name = backup_name(args.policy, now, Trigger.MANUAL)
        body = build_backup(
            policy=args.policy,
            namespace=args.namespace,
            name=name,
            slot=now,
            trigger=Trigger.MANUAL,
        )
        who = await whoami(kube)
        if who:
            body["metadata"]["annotations"] = {REQUESTED_BY: who}
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
    except KubeError as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_FAILED
    else:
        sys.stderr.write(f"Backup {name} did not finish within {args.timeout:.0f}s\n")
        return EXIT_FAILED
    finally:
        await kube.close()
