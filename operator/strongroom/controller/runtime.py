"""What every handler needs, passed in rather than imported: ports, settings, clock, memory.

One :class:`Runtime` is built at startup (``startup.py``) and put in Kopf's operator memo;
unit tests build one with :class:`~strongroom.kube.fake.FakeKube`, an in-memory object store
and a fixed clock. :class:`PolicyMemory` is the per-policy state that may be lost at any time
(a restart forgets it): it only decides *when* to look again and which notes were already
posted as Events — never *what* to do, which comes from the API server and the planner.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from strongroom.api.policy import BackupPolicySpec
from strongroom.config import OperatorConfig
from strongroom.kube.base import SECRETS, KubeClient
from strongroom.manifests.jobs import JobSettings
from strongroom.planner.model import Observed, Plan
from strongroom.storage.base import ObjectStore
from strongroom.storage.config import Credentials, StorageConfig

#: Builds the operator's own client for a policy's bucket (credentials read from its Secret).
StoreFactory = Callable[[str, BackupPolicySpec], Awaitable[ObjectStore]]


class MetricsSink(Protocol):
    """The part of :mod:`strongroom.metrics` the controller calls."""

    def observe_policy(self, namespace: str, name: str, snapshot: Any) -> None:
        """Replace the policy's metrics snapshot."""

    def forget_policy(self, namespace: str, name: str) -> None:
        """Drop every series of the policy."""

    def record_backup_run(
        self,
        namespace: str,
        policy: str,
        result: Any,
        duration_seconds: float,
        size_bytes: int | None = None,
    ) -> None:
        """Count a finished backup run."""

    def record_verification_run(
        self, namespace: str, policy: str, result: Any, duration_seconds: float
    ) -> None:
        """Count a finished verification run."""

    def observe_residency(self, namespace: str, policy: str, resident: bool | None) -> None:
        """Set the policy's data-residency verdict (``None`` = unknown)."""

    def observe_unprotected(self, namespace_counts: Mapping[str, int]) -> None:
        """Replace the coverage gauge (unprotected databases per namespace)."""

    def record_reconcile_error(self, kind: str) -> None:
        """Count a failed reconcile."""


@dataclass(frozen=True)
class CachedLook:
    """What the last full look of a Ready policy observed, for a planned look at next_wake.

    Typed and small (the planner's view, not the API bodies, not even the parsed spec: about
    2 KiB a policy), so a fleet keeps little; it is used only while nothing changed since
    (same generation, same children digest).
    """

    generation: int | None
    observed: Observed
    #: (check, status, reason) of each compliance verdict: a change needs a full look.
    verdicts: tuple[tuple[str, str, str], ...]
    #: The plan for ``wake`` (the policy's next_wake), made when the wake was set.
    wake: datetime | None = None
    upcoming: Plan | None = None


def spread(namespace: str, name: str) -> float:
    """Return a per-policy factor in [0.75, 1.25) so a fleet created together resyncs apart."""
    digest = hashlib.sha256(f"{namespace}/{name}".encode()).digest()
    return 0.75 + int.from_bytes(digest[:4], "big") / 2**33


class RecentNotes(set[str]):
    """The notes already posted as Events, keeping only the newest ``limit``.

    Some notes name their slot (a slot waiting for a run in flight), so a long run adds one per
    slot; a plain set would grow for as long as the operator runs. An evicted note that comes
    back is posted again, which is what a person reading Events would want anyway.
    """

    def __init__(self, limit: int = 256) -> None:
        super().__init__()
        self._order: deque[str] = deque()
        self._limit = limit

    def add(self, element: str) -> None:
        """Remember ``element``, forgetting the oldest beyond the limit."""
        if element in self:
            return
        super().add(element)
        self._order.append(element)
        while len(self._order) > self._limit:
            self.discard(self._order.popleft())


@dataclass
class PolicyMemory:
    """Ephemeral per-policy state: when to look again, what was already said."""

    next_wake: datetime | None = None
    fingerprint: str = ""
    ready: bool | None = None
    ready_reason: str = ""
    notes_posted: set[str] = field(default_factory=RecentNotes)
    bucket_ok_until: float = 0.0
    resync_at: float = 0.0
    spread: float = 1.0
    observed: CachedLook | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class Runtime:
    """Ports and settings shared by every handler."""

    config: OperatorConfig
    kube: KubeClient
    stores: StoreFactory
    metrics: MetricsSink
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    monotonic: Callable[[], float] = field(default=lambda: asyncio.get_running_loop().time())
    kms: Callable[[BackupPolicySpec], Any] | None = None
    memory: dict[tuple[str, str], PolicyMemory] = field(default_factory=dict)
    #: Bounds the full looks in progress: a fleet's looks queue instead of all holding
    #: requests and responses at once (memory), and a slot's Backup is not stuck behind them.
    looks: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self.looks = asyncio.Semaphore(self.config.max_concurrent_looks)

    def remember(self, namespace: str, name: str) -> PolicyMemory:
        """Return the memory of one policy (created empty on first use)."""
        memory = self.memory.get((namespace, name))
        if memory is None:
            memory = self.memory[(namespace, name)] = PolicyMemory(spread=spread(namespace, name))
        return memory

    def forget(self, namespace: str, name: str) -> None:
        """Drop the memory of a deleted policy."""
        self.memory.pop((namespace, name), None)

    @property
    def job_settings(self) -> JobSettings:
        """Return the Job defaults from the configuration."""
        cfg = self.config
        return JobSettings(
            image=cfg.agent_image,
            service_account=cfg.job_service_account,
            ttl_seconds_after_finished=cfg.job_ttl_seconds,
            backoff_limit=cfg.job_backoff_limit,
            active_deadline_seconds=cfg.job_active_deadline_seconds,
            requests={"cpu": cfg.job_cpu_request, "memory": cfg.job_memory_request},
            limits={"memory": cfg.job_memory_limit},
        )


@dataclass(frozen=True)
class _InlineStorageConfig(StorageConfig):
    """A :class:`StorageConfig` whose credentials were read from a Secret through the API."""

    inline: Credentials | None = None

    def credentials(self) -> Credentials | None:
        """Return the credentials read from the policy's Secret (never from files)."""
        return self.inline


def secret_value(secret: dict[str, Any] | None, key: str) -> bytes | None:
    """Return one decoded value of a Secret body, or ``None``."""
    import base64  # noqa: PLC0415 - tiny, keeps the module header about ports

    if secret is None:
        return None
    raw = (secret.get("data") or {}).get(key)
    return None if raw is None else base64.b64decode(raw)


#: How many S3 clients the operator keeps (about 11 MiB each); one per distinct bucket and login.
_STORE_CACHE_SIZE = 128


def s3_store_factory(kube: KubeClient, config: OperatorConfig) -> StoreFactory:
    """Return a factory of :class:`~strongroom.storage.s3.S3ObjectStore` for policies.

    Building a boto3 client costs ~170 ms of CPU and ~11 MiB; the loop asks for a store on
    every full look at a policy, so stores are reused while the storage spec, the credentials
    and the CA bundle stay the same (boto3 clients are thread-safe). The cache key holds a
    digest of the credentials, never the credentials themselves. ``caBundleSecretRef`` is
    honoured as the Jobs honour it: its PEM is written to a private file (a CA bundle is
    public, but the directory is ours alone) that the client verifies the endpoint with.
    """
    cache: OrderedDict[str, ObjectStore] = OrderedDict()
    ca_files = _CaFiles()

    async def cached(namespace: str, spec: BackupPolicySpec) -> ObjectStore:
        storage = spec.storage
        # Exactly what the client is built from: policies sharing a bucket share a client.
        client_settings = (
            storage.bucket,
            storage.region,
            storage.endpoint,
            storage.force_path_style,
        )
        digest = hashlib.sha256(repr(client_settings).encode())
        creds = await _s3_credentials(kube, namespace, spec)
        if creds is not None:
            digest.update(f"\0{creds.access_key_id}\0{creds.secret_access_key}".encode())
        ca = await _ca_bundle(kube, namespace, spec)
        digest.update(b"\0" + (ca or b""))
        key = digest.hexdigest()
        store = cache.get(key)
        if store is None:
            store = await make(spec, creds, ca)
            cache[key] = store
            while len(cache) > _STORE_CACHE_SIZE:
                cache.popitem(last=False)
        cache.move_to_end(key)
        return store

    async def make(
        spec: BackupPolicySpec, creds: Credentials | None, ca: bytes | None
    ) -> ObjectStore:
        from strongroom.storage.s3 import S3ObjectStore  # noqa: PLC0415 - boto3 when used

        storage = spec.storage
        settings = _InlineStorageConfig(
            bucket=storage.bucket,
            region=storage.region,
            endpoint_url=storage.endpoint,
            force_path_style=storage.force_path_style,
            ca_bundle_file=ca_files.path(ca) if ca is not None else None,
            max_attempts=config.s3_max_attempts,
            part_attempts=1,
            connect_timeout=5.0,
            read_timeout=20.0,
            inline=creds,
        )
        return await asyncio.to_thread(S3ObjectStore, settings)

    return cached


async def _s3_credentials(
    kube: KubeClient, namespace: str, spec: BackupPolicySpec
) -> Credentials | None:
    """Return the policy's S3 login from its Secret (``None``: boto3's default chain)."""
    from strongroom.errors import ConfigError  # noqa: PLC0415

    ref = spec.storage.credentials_secret_ref
    if ref is None:
        return None
    secret = await kube.get(SECRETS, namespace, ref.name)
    access = secret_value(secret, ref.access_key_id_key)
    secret_key = secret_value(secret, ref.secret_access_key_key)
    if access is None or secret_key is None:
        raise ConfigError(
            f"spec.storage.credentialsSecretRef: Secret {ref.name} is missing or lacks "
            f"{ref.access_key_id_key}/{ref.secret_access_key_key}",
            reason="SecretMissing",
        )
    return Credentials(access.decode().strip(), secret_key.decode().strip())


async def _ca_bundle(kube: KubeClient, namespace: str, spec: BackupPolicySpec) -> bytes | None:
    """Return the PEM of ``spec.storage.caBundleSecretRef`` (``None``: the system store)."""
    from strongroom.errors import ConfigError  # noqa: PLC0415

    ref = spec.storage.ca_bundle_secret_ref
    if ref is None:
        return None
    pem = secret_value(await kube.get(SECRETS, namespace, ref.name), ref.key)
    if not pem or b"-----BEGIN CERTIFICATE-----" not in pem:
        raise ConfigError(
            f"spec.storage.caBundleSecretRef: Secret {ref.name} is missing, lacks key "
            f"{ref.key}, or holds no PEM certificate; put the endpoint's CA bundle there",
            reason="SecretMissing" if pem is None else "SecretKeyMissing",
        )
    return pem


class _CaFiles:
    """PEM bundles written once each, by content digest, in a directory only we can read."""

    def __init__(self) -> None:
        self._dir: Path | None = None

    def path(self, pem: bytes) -> Path:
        """Return the file holding ``pem``, writing it on first use."""
        import tempfile  # noqa: PLC0415 - only when a policy names a CA bundle

        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="strongroom-ca-"))
        target = self._dir / f"{hashlib.sha256(pem).hexdigest()[:16]}.pem"
        if not target.exists():
            partial = target.with_suffix(".tmp")
            partial.write_bytes(pem)
            partial.replace(target)
        return target
