"""Readiness: what the schema cannot check, checked before any run starts.

Referenced Secrets exist and hold their keys, the bucket answers and is where residency allows
(a success is trusted for ``bucket_check_interval``), the spec parses, and the Job
ServiceAccount exists. Each problem is
a :class:`~strongroom.errors.StrongroomError` whose ``reason`` becomes the ``Ready`` condition's
reason (``SecretMissing``, ``SecretKeyMissing``, ``BucketNotFound`` …) and whose message names
the field and the fix.

Residency is judged on the bucket's real location (``GetBucketLocation``), not the declared
region, and on the KMS key's region, against the policy's ``spec.storage.allowedRegions``
narrowed by the operator's cluster-wide ``allowedRegions``. Outside → ``RegionNotAllowed``
(or ``BucketRegionMismatch``/``KMSRegionNotAllowed``), so no Job starts; the verdict is
exported as ``strongroom_policy_resident``. Without any list no location is read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, Final

from pydantic import ValidationError

from strongroom.api.policy import BackupPolicySpec
from strongroom.controller.runtime import PolicyMemory, Runtime, secret_value
from strongroom.errors import ConfigError, KubeError, StorageError
from strongroom.kube.base import SECRETS, SERVICE_ACCOUNTS
from strongroom.manifests.secrets import build_job_service_account
from strongroom.planner.residency import (
    ResidencyVerdict,
    allowed_regions,
    check_residency,
    kms_key_region,
)
from strongroom.storage.base import ObjectStore

_FORBIDDEN: Final = 403


def parse_spec(body: Mapping[str, Any]) -> BackupPolicySpec:
    """Return the typed spec; :class:`ConfigError` naming the fields when it does not parse."""
    try:
        return BackupPolicySpec.model_validate(body.get("spec") or {})
    except ValidationError as exc:
        problems = "; ".join(
            f"spec.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)
        )
        raise ConfigError(problems, reason="InvalidSpec") from None


async def _require_secret(
    rt: Runtime, namespace: str, field: str, name: str, keys: Sequence[str]
) -> Mapping[str, Any]:
    secret = await rt.kube.get(SECRETS, namespace, name)
    if secret is None:
        raise ConfigError(
            f"{field}: Secret {name} does not exist in namespace {namespace}; create it",
            reason="SecretMissing",
        )
    missing = [k for k in keys if k not in (secret.get("data") or {})]
    if missing:
        raise ConfigError(
            f"{field}: Secret {name} has no key {', '.join(missing)}; add it",
            reason="SecretKeyMissing",
        )
    return secret


async def check_references(rt: Runtime, namespace: str, spec: BackupPolicySpec) -> str:
    """Check the referenced Secrets; return the database user name."""
    db = spec.database
    ref = db.credentials_secret_ref
    keys = [ref.password_key] + ([] if db.user else [ref.username_key])
    secret = await _require_secret(
        rt, namespace, "spec.database.credentialsSecretRef", ref.name, keys
    )
    if db.tls.ca_secret_ref is not None:
        ca = db.tls.ca_secret_ref
        await _require_secret(rt, namespace, "spec.database.tls.caSecretRef", ca.name, [ca.key])
    storage = spec.storage
    if storage.credentials_secret_ref is not None:
        s3 = storage.credentials_secret_ref
        await _require_secret(
            rt, namespace, "spec.storage.credentialsSecretRef", s3.name,
            [s3.access_key_id_key, s3.secret_access_key_key],
        )  # fmt: skip
    if storage.ca_bundle_secret_ref is not None:
        ca = storage.ca_bundle_secret_ref
        await _require_secret(rt, namespace, "spec.storage.caBundleSecretRef", ca.name, [ca.key])
    if db.user:
        return db.user
    raw = secret_value(dict(secret), ref.username_key) or b""
    return raw.decode().strip()


async def check_bucket(
    rt: Runtime, namespace: str, spec: BackupPolicySpec, memory: PolicyMemory, *, policy: str
) -> ObjectStore:
    """Return a store for the policy's bucket, checked (at most every few minutes) to answer.

    The same check judges residency; a refusal is not trusted like a success, so it is
    repeated on every look until the bucket or the rules change.
    """
    store = await rt.stores(namespace, spec)
    if rt.monotonic() < memory.bucket_ok_until:
        return store
    try:
        await asyncio.to_thread(lambda: next(iter(store.list(_probe_prefix(spec))), None))
    except StorageError as exc:
        raise StorageError(
            f"spec.storage: bucket {spec.storage.bucket} cannot be used: {exc}",
            reason=exc.reason,
            retryable=exc.retryable,
        ) from None
    verdict = await check_store_residency(rt, spec, store)
    known = None if verdict.status == "Unknown" else verdict.allowed
    rt.metrics.observe_residency(namespace, policy, known)
    if not verdict.allowed:
        raise ConfigError(f"spec.storage: {verdict.message}", reason=verdict.reason.value)
    memory.bucket_ok_until = rt.monotonic() + rt.config.bucket_check_interval
    return store


async def check_store_residency(
    rt: Runtime, spec: BackupPolicySpec, store: ObjectStore
) -> ResidencyVerdict:
    """Return the residency verdict of the policy's bucket (real location) and KMS key."""
    allowed = allowed_regions(spec.storage.allowed_regions, rt.config.allowed_regions)
    rule = "spec.storage.allowedRegions"
    if rt.config.allowed_regions:
        rule = (
            "the operator's allowedRegions (chart value residency.allowedRegions)"
            if spec.storage.allowed_regions is None
            else f"{rule} narrowed by the operator's allowedRegions"
        )
    encryption = spec.encryption
    kms = kms_key_region(encryption.kms_key_id, encryption.kms_region, spec.storage.region)
    if allowed is None:
        return check_residency(None, spec.storage.region, spec.storage.region, kms)
    try:
        location: str | None = await asyncio.to_thread(store.bucket_region)
    except StorageError:
        location = None
    return check_residency(
        allowed, spec.storage.region, location, kms, location_known=location is not None, rule=rule
    )


def _probe_prefix(spec: BackupPolicySpec) -> str:
    prefix = spec.storage.prefix.strip("/")
    return f"{prefix}/" if prefix else ""


async def ensure_job_service_account(rt: Runtime, namespace: str) -> None:
    """Create the no-rights Job ServiceAccount where it is missing (token never mounted).

    Only the chart's cluster-wide ClusterRole grants ServiceAccount rights; with per-namespace
    Roles the chart creates the account itself, so a 403 here means "not ours to manage".
    """
    name = rt.config.job_service_account
    try:
        if await rt.kube.get(SERVICE_ACCOUNTS, namespace, name) is not None:
            return
        await rt.kube.create(
            SERVICE_ACCOUNTS, namespace, build_job_service_account(name=name, namespace=namespace)
        )
    except KubeError as exc:
        if exc.status != _FORBIDDEN:
            raise
