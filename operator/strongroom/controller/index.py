"""Shared Kopf indexes of Backups and Jobs by policy: what changed, without an API call.

Without them each policy's look listed its Backups and Jobs: at 1,000 policies that was the
operator's main cost (docs/benchmarks.md "Operator scale"). One watch per kind feeds an index
keyed by ``(namespace, policy label)`` holding only a name and a short state per object — a
Backup's resourceVersion, whether a Job ended — so memory stays a few bytes per object and no
body (nor any Secret) is kept; a running Job's status chatter wakes nobody. The index only
tells a policy's loop *that* something changed; the full look that follows still lists from the
API server, and a periodic full look (``resync_interval``) stays, so a lost watch event delays
a reaction but never loses it (level-based).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import kopf

from strongroom.api.common import GROUP, VERSION
from strongroom.controller.reconcile import job_state, seen_digest
from strongroom.manifests.labels import POLICY

#: One entry of an index: the object's name and its state (see the module docstring).
Entry = tuple[str, str]
PolicyKey = tuple[str, str]

#: The same objects a full look lists (``policy_selector``), so both views digest alike.
_BELONGS = {POLICY: kopf.PRESENT}


def _entry(namespace: str | None, labels: Any, name: Any, state: str) -> dict[PolicyKey, Entry]:
    return {(namespace or "", str(labels[POLICY])): (str(name), state)}


@kopf.index(GROUP, VERSION, "backups", labels=_BELONGS)
def backups_by_policy(
    namespace: str | None, labels: kopf.Labels, meta: kopf.Meta, **_: Any
) -> dict[PolicyKey, Entry]:
    """Index every Backup that names a policy (scheduled and on-demand alike) by version."""
    return _entry(namespace, labels, meta["name"], str(meta.get("resourceVersion", "")))


@kopf.index("batch", "v1", "jobs", labels=_BELONGS)
def jobs_by_policy(
    namespace: str | None, labels: kopf.Labels, meta: kopf.Meta, body: kopf.Body, **_: Any
) -> dict[PolicyKey, Entry]:
    """Index the Jobs of a policy (backup and verification runs) by whether they ended."""
    return _entry(namespace, labels, meta["name"], job_state(body))


def _entries(index: kopf.Index[PolicyKey, Entry], key: PolicyKey) -> Iterable[Entry]:
    store = index.get(key)
    return () if store is None else store


def seen(
    backups: kopf.Index[PolicyKey, Entry],
    jobs: kopf.Index[PolicyKey, Entry],
    namespace: str,
    name: str,
) -> str:
    """Return the digest of the policy's Backups and Jobs as the indexes see them now."""
    key = (namespace, name)
    return seen_digest(_entries(backups, key), _entries(jobs, key))
