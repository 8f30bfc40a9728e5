"""After a full run — backup, verify, restore, a failed restore, decrypt — no secret appears in
anything the agent or the CLI wrote: stdout, stderr (the logs), result files.

Searched for: the data key (raw, hex, base64, URL-safe base64), every key-encryption key of
the ring (same encodings), the database password, and the S3 secret access key.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from tests.support.s3 import SECRET_KEY

Harness = Any  # fixture types live in this directory's conftest.py
Store = Any


def encodings(secret: bytes) -> set[bytes]:
    forms = {
        secret,
        secret.hex().encode(),
        secret.hex().upper().encode(),
        base64.b64encode(secret),
        base64.urlsafe_b64encode(secret),
        base64.b64encode(secret).rstrip(b"="),
        base64.urlsafe_b64encode(secret).rstrip(b"="),
    }
    return {form for form in forms if len(form) >= 8}


def test_a_full_run_leaks_no_key_and_no_password(harness: Harness, store: Store) -> None:
    backup = f"scan-{store.engine_name}"
    harness.backed_up(backup, store)
    scratch = {"connection": harness.connection(store.empty), "database": "scan_scratch"}
    verify = {"level": "equivalence", "scratch": scratch}
    job = harness.job("verify", engine=store.engine_name, backup=backup, verify=verify)
    assert harness.agent("verify", job).returncode == 0
    refused = {"target": harness.connection(store.source)}
    job = harness.job("restore", engine=store.engine_name, backup=backup, restore=refused)
    assert harness.agent("restore", job).returncode == 1
    job = harness.job(
        "restore",
        engine=store.engine_name,
        backup=backup,
        restore={"target": scratch["connection"]},
    )
    assert harness.agent("restore", job).returncode == 0
    data_key, _ = harness.keys(backup)
    run = harness.run(
        "decrypt",
        f"--bucket={harness.bucket}",
        f"--key={data_key}",
        f"--endpoint={harness.endpoint}",
        f"--keyring={harness.keyring_export}",
        f"--output={harness.tmp / 'scan.dump'}",
        env=harness.person_env(),
    )
    assert run.returncode == 0, run.stderr

    secrets: dict[str, set[bytes]] = {"data key": encodings(harness.deks[backup])}
    for version in harness.ring.versions:
        assert version.material is not None
        secrets[f"KEK v{version.version}"] = encodings(version.material)
    password = Path(store.source.password_file).read_text().rstrip("\n")
    secrets["database password"] = {password.encode()}
    secrets["S3 secret key"] = {SECRET_KEY.encode()}

    outputs: dict[str, bytes] = {}
    for number, one in enumerate(harness.runs):
        outputs[f"run {number} stdout"] = one.stdout.encode()
        outputs[f"run {number} stderr"] = one.stderr.encode()
    for result_file in harness.tmp.glob("result-*.json"):
        outputs[result_file.name] = result_file.read_bytes()
    assert len(harness.runs) == 5
    assert sum(1 for name in outputs if name.startswith("result-")) == 4
    assert any(b'"step":"integrity"' in text for text in outputs.values())  # logs were captured

    leaks = [
        f"{what} in {where}"
        for what, forms in secrets.items()
        for where, text in outputs.items()
        if any(form in text for form in forms)
    ]
    assert leaks == []
