"""Steps of the key stories: a policy ``ledger`` with a key ring, the keys CLI, the ring itself."""

from __future__ import annotations

import base64
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

from steps import (
    ON_DEMAND,
    backups_of,
    given_database_login,
    given_s3_login,
    policy_manifest,
    when_policy_applied,
)
from tests.support.cluster import REPO_ROOT, LocalCluster
from tests.support.kube_steps import get
from tests.support.plugin_databases import StoreDatabase
from tests.support.s3 import REGION, S3Server

from strongroom.crypto.keyring import KeyRing, KeyRingWrapper, KeyState

POLICY = "ledger"
SECRET = f"{POLICY}-keyring"
CLI = str(REPO_ROOT / ".venv" / "bin" / "strongroom")


def given_ledger_policy(
    cluster: LocalCluster,
    namespace: str,
    store: StoreDatabase,
    *,
    bucket: str,
    endpoint: str,
    **spec: Any,
) -> None:
    """The ``ledger`` policy over ``store``: no schedule to speak of, backups only on demand."""
    given_database_login(cluster, namespace, store.connection)
    given_s3_login(cluster, namespace)
    when_policy_applied(
        cluster, namespace,
        policy_manifest(POLICY, engine="postgresql", conn=store.connection, bucket=bucket,
                        endpoint=endpoint, schedule=ON_DEMAND,
                        keep_last=5, objectives={"rpo": "400d"}, **spec),
    )  # fmt: skip


def keys(cluster: LocalCluster, namespace: str, *argv: str) -> str:
    """``strongroom keys … ledger`` as a person runs it; return its output."""
    result = subprocess.run(
        [CLI, "keys", *argv, "-n", namespace, "--kubeconfig", str(cluster.kubeconfig)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def ring(cluster: LocalCluster, namespace: str) -> KeyRing:
    """The key ring as its Secret holds it now."""
    secret = get(cluster, "secret", SECRET, namespace=namespace)
    assert secret is not None
    return KeyRing.from_secret_data({k: base64.b64decode(v) for k, v in secret["data"].items()})


def state(cluster: LocalCluster, namespace: str, version: int) -> KeyState | None:
    """The state of one version now (``None``: the ring never had it)."""
    found = ring(cluster, namespace).get(version)
    return found.state if found is not None else None


def key_versions(cluster: LocalCluster, namespace: str) -> set[int]:
    """The key versions the ledger's Backups say wrap them."""
    return {b["status"].get("keyVersion") for b in backups_of(cluster, namespace, POLICY)}


def alone(keys: KeyRing, version: int) -> KeyRingWrapper:
    """A wrapper holding only ``version`` (as primary), to prove that version alone opens."""
    found = keys.get(version)
    assert found is not None
    return KeyRingWrapper(KeyRing(keys.key_id, (replace(found, state=KeyState.PRIMARY),)))


def decrypted(s3: S3Server, bucket: str, data_key: str, out: Path, key: str) -> bytes:
    """``strongroom decrypt`` of one stored backup with ``key`` (``--keyring=…`` or
    ``--kms-key-id=…``), as in docs/disaster-recovery.md; return the dump's bytes."""
    result = subprocess.run(
        [CLI, "decrypt", f"--bucket={bucket}", f"--key={data_key}",
         f"--endpoint={s3.endpoint_url}", f"--region={REGION}", key, f"--output={out}"],
        capture_output=True, text=True, check=False, env=s3.client_env(), timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out.read_bytes()
