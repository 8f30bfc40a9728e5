"""What the commands for people share: the API session, the policy they act on, who asks.

``backup-now``, ``restore`` and ``keys`` talk to the API server like kubectl, name the person
asking in ``strongroom.dev/requested-by`` (so the audit record names them) and, for policy
commands, fail with a usage error when the BackupPolicy does not exist. Doing it in one place
keeps their flags, messages and exit codes the same.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from strongroom.kube.base import KubeClient

EXIT_FAILED, EXIT_USAGE = 1, 2


def add_api_arguments(parser: argparse.ArgumentParser, *, namespace_of: str) -> None:
    """Add ``-n/--namespace`` (whose namespace: ``namespace_of``) and ``--kubeconfig``."""
    parser.add_argument(
        "-n", "--namespace", default="default", help=f"namespace of the {namespace_of}"
    )
    parser.add_argument("--kubeconfig", type=Path, default=None, help="kubeconfig file")


def add_policy_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the POLICY argument with its namespace and the kubeconfig."""
    parser.add_argument("policy", help="name of the BackupPolicy")
    add_api_arguments(parser, namespace_of="policy")


async def whoami(kube: KubeClient) -> str | None:
    """Return the user name the API server knows this client as, or ``None`` if not told.

    A SelfSubjectReview (the API behind ``kubectl auth whoami``); without the right to ask,
    ``None``, and the caller leaves the requester out.
    """
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


async def mark_requester(kube: KubeClient, body: dict[str, Any]) -> None:
    """Annotate ``body`` with who asks, when the API server says who that is."""
    from strongroom.manifests.labels import REQUESTED_BY  # noqa: PLC0415

    who = await whoami(kube)
    if who:
        body["metadata"]["annotations"] = {REQUESTED_BY: who}


async def with_api(
    args: argparse.Namespace,
    action: Callable[[KubeClient], Awaitable[int]],
    *,
    handled: type[Exception],
) -> int:
    """Run ``action`` with an API client from ``args.kubeconfig``; always close the client.

    A ``handled`` error is printed (it names the fix) and exits ``EXIT_FAILED``.
    """
    from strongroom.kube.client import RealKube  # noqa: PLC0415

    kube = await RealKube.connect(args.kubeconfig)
    try:
        return await action(kube)
    except handled as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_FAILED
    finally:
        await kube.close()


async def with_policy(
    args: argparse.Namespace,
    action: Callable[[KubeClient, dict[str, Any]], Awaitable[int]],
    *,
    handled: type[Exception],
) -> int:
    """Like :func:`with_api`, given the BackupPolicy ``args.namespace/args.policy``.

    A policy that does not exist is a usage error (``EXIT_USAGE``), said on stderr.
    """
    from strongroom.kube.base import BACKUP_POLICIES  # noqa: PLC0415

    async def on_policy(kube: KubeClient) -> int:
        policy = await kube.get(BACKUP_POLICIES, args.namespace, args.policy)
        if policy is None:
            sys.stderr.write(f"BackupPolicy {args.namespace}/{args.policy} does not exist\n")
            return EXIT_USAGE
        return await action(kube, policy)

    return await with_api(args, on_policy, handled=handled)
