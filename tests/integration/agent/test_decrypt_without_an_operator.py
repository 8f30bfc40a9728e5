"""With the cluster gone, a person gets the dump back with the escrowed key ring and the CLI.

These are the commands of docs/disaster-recovery.md: ``strongroom decrypt`` reads the data
object and its manifest straight from S3 (or from downloaded files), unwraps the data key
with the key-ring export, and writes a plain dump that ``pg_restore`` or ``mariadb`` loads.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from tests.support.postgres import BINDIR

Harness = Any  # fixture types live in this directory's conftest.py
Store = Any


def load_dump(store: Store, dump: Path, tmp: Path) -> None:
    """What the runbook says: pg_restore for PostgreSQL, the mariadb client for MariaDB."""
    target = store.empty
    password = Path(target.password_file).read_text().rstrip("\n")
    if store.engine_name == "postgresql":
        subprocess.run(
            [
                str(BINDIR / "pg_restore"),
                "--single-transaction",  # each table loaded in order: fingerprints compare
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                f"--host={target.host}",
                f"--port={target.port}",
                f"--username={target.user}",
                f"--dbname={target.database}",
                str(dump),
            ],
            env={"PGPASSWORD": password, "PATH": "/usr/bin:/bin"},
            check=True,
        )
        return
    defaults = tmp / "client.cnf"
    quoted = password.replace("\\", "\\\\").replace('"', '\\"')
    defaults.write_text(f'[client]\npassword="{quoted}"\n')
    defaults.chmod(0o600)
    with dump.open("rb") as sql:
        subprocess.run(
            [
                "mariadb",
                f"--defaults-extra-file={defaults}",
                f"--host={target.host}",
                f"--port={target.port}",
                f"--user={target.user}",
                target.database,
            ],
            stdin=sql,
            check=True,
        )


def test_decrypt_from_s3_with_the_key_ring_export_then_load(harness: Harness, store: Store) -> None:
    backup = f"dr-{store.engine_name}"
    data_key, _ = harness.backed_up(backup, store)

    dump = harness.tmp / "restore" / "orders.dump"
    dump.parent.mkdir()
    run = harness.run(
        "decrypt",
        f"--bucket={harness.bucket}",
        f"--key={data_key}",
        f"--endpoint={harness.endpoint}",
        "--region=eu-central-1",
        f"--keyring={harness.keyring_export}",
        f"--output={dump}",
        env=harness.person_env(),
    )
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in dump.parent.iterdir()) == ["orders.dump"]

    load_dump(store, dump, harness.tmp)
    assert store.engine.fingerprints(store.empty) == store.engine.fingerprints(store.source)


def test_decrypt_a_downloaded_backup_and_refuse_a_damaged_one(harness: Harness, pg: Store) -> None:
    backup = "dr-local"
    data_key, manifest_key = harness.backed_up(backup, pg)
    folder = harness.tmp / "downloaded"
    folder.mkdir()
    (folder / "data.sr").write_bytes(harness.get(data_key))
    (folder / "manifest.json").write_bytes(harness.get(manifest_key))

    keyring = harness.keyring_export
    good = harness.tmp / "good.dump"
    run = harness.run(
        "decrypt",
        f"--input={folder / 'data.sr'}",
        f"--keyring={harness.keyring_export}",
        f"--output={good}",
    )
    assert run.returncode == 0, run.stderr
    assert good.read_bytes().startswith(b"PGDMP")  # pg_dump's custom archive format

    to_stdout = subprocess.run(
        [*run.argv[:3], "decrypt", f"--input={folder / 'data.sr'}", f"--keyring={keyring}"],
        capture_output=True,
        env=harness.person_env(),
        check=True,
    )
    assert to_stdout.stdout == good.read_bytes()

    damaged = bytearray((folder / "data.sr").read_bytes())
    damaged[-100] ^= 0x20
    (folder / "data.sr").write_bytes(bytes(damaged))
    bad = harness.tmp / "out" / "bad.dump"
    bad.parent.mkdir()
    run = harness.run(
        "decrypt",
        f"--input={folder / 'data.sr'}",
        f"--keyring={harness.keyring_export}",
        f"--output={bad}",
    )
    assert run.returncode == 1
    assert "IntegrityCheckFailed" in run.stderr
    assert list(bad.parent.iterdir()) == []  # no partial output, no temporary file left


def test_decrypt_with_a_wrong_key_ring_names_the_key_it_needs(harness: Harness, pg: Store) -> None:
    from datetime import UTC, datetime  # noqa: PLC0415

    from strongroom.crypto.keyring import KeyRing  # noqa: PLC0415

    backup = "dr-wrong-key"
    data_key, _ = harness.backed_up(backup, pg)
    other = harness.tmp / "other-ring.json"
    other.write_bytes(KeyRing.generate("other", datetime.now(UTC)).to_export_json())
    run = harness.run(
        "decrypt",
        f"--bucket={harness.bucket}",
        f"--key={data_key}",
        f"--endpoint={harness.endpoint}",
        f"--keyring={other}",
        f"--output={harness.tmp / 'never.dump'}",
        env=harness.person_env(),
    )
    assert run.returncode == 1
    assert "KeyUnavailable" in run.stderr
    assert "escrow" in run.stderr  # names the key ring the manifest needs
    assert not (harness.tmp / "never.dump").exists()
