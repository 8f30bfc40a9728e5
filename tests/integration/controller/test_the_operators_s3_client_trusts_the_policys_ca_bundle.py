"""The operator's own S3 client honours ``spec.storage.caBundleSecretRef``, as Jobs do.

A real moto S3 endpoint serves HTTPS with a certificate signed by a private CA (the one
``tests.support.certs`` makes for the test servers). Given the CA bundle in the policy's
Secret, the operator's store lists the bucket; without it (the system store does not know the
CA) the same call fails on the certificate; a wrong PEM is refused naming the field.
"""

from __future__ import annotations

import base64
import ssl
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.support.certs import make_certs
from tests.support.ports import wait_until
from tests.support.s3 import ACCESS_KEY, REGION, SECRET_KEY, S3Server
from tests.unit.controller.world import policy_spec

from strongroom.api.policy import BackupPolicySpec
from strongroom.config import OperatorConfig
from strongroom.controller.runtime import s3_store_factory
from strongroom.errors import ConfigError, StorageError
from strongroom.kube.base import SECRETS
from strongroom.kube.fake import FakeKube

NS = "shop"


@dataclass
class TlsS3Server(S3Server):
    """The same moto server, serving HTTPS with a given certificate."""

    cert_file: Path | None = None
    key_file: Path | None = None
    ca_pem: bytes = b""

    @property
    def endpoint_url(self) -> str:
        """The HTTPS endpoint."""
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start moto with TLS and wait until it answers over HTTPS."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]
        command += ["-s", "-c", str(self.cert_file), "-k", str(self.key_file)]
        with (self.log_dir / "moto.log").open("ab") as log:
            self._proc = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_until(self._answers, timeout=30, what=f"moto S3 over TLS on {self.endpoint_url}")

    def _answers(self) -> bool:
        if self._proc is not None and self._proc.poll() is not None:
            raise RuntimeError(f"moto exited with {self._proc.returncode}; see {self.log_dir}")
        context = ssl.create_default_context(cadata=self.ca_pem.decode())
        url = f"{self.endpoint_url}/moto-api/"
        with urllib.request.urlopen(url, timeout=1, context=context) as resp:  # noqa: S310
            return bool(resp.status == 200)


@pytest.fixture
def tls_s3(tmp_path: Path) -> Iterator[TlsS3Server]:
    certs = make_certs(tmp_path / "tls")  # a private CA and a certificate for 127.0.0.1
    server = TlsS3Server(
        log_dir=tmp_path / "moto",
        cert_file=certs.serving_cert,
        key_file=certs.serving_key,
        ca_pem=certs.ca_cert.read_bytes(),
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _world(server: TlsS3Server, ca: bytes | None) -> tuple[FakeKube, BackupPolicySpec]:
    """A policy whose bucket is on the TLS endpoint; its Secrets in a FakeKube."""
    bucket = f"strongroom-tls-{uuid.uuid4().hex[:10]}"
    ca_file = server.log_dir / "ca.pem"
    ca_file.write_bytes(server.ca_pem)
    import boto3  # noqa: PLC0415 - boto3 only where a test talks to S3 itself

    client: Any = boto3.client(
        "s3", endpoint_url=server.endpoint_url, aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY, region_name=REGION, verify=str(ca_file),
    )  # fmt: skip
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    client.put_object(Bucket=bucket, Key="prod/hello", Body=b"x")
    kube = FakeKube()
    kube.put(
        SECRETS, NS,
        {"metadata": {"name": "s3-login"},
         "data": {"accessKeyId": _b64(ACCESS_KEY.encode()),
                  "secretAccessKey": _b64(SECRET_KEY.encode())}},
    )  # fmt: skip
    storage: dict[str, Any] = {
        "bucket": bucket, "prefix": "prod", "region": REGION, "forcePathStyle": True,
        "endpoint": server.endpoint_url, "credentialsSecretRef": {"name": "s3-login"},
    }  # fmt: skip
    if ca is not None:
        kube.put(SECRETS, NS, {"metadata": {"name": "s3-ca"}, "data": {"ca.crt": _b64(ca)}})
        storage["caBundleSecretRef"] = {"name": "s3-ca", "key": "ca.crt"}
    spec = BackupPolicySpec.model_validate(policy_spec(storage=storage))
    return kube, spec


async def test_the_ca_bundle_from_the_policys_secret_verifies_the_endpoint(
    tls_s3: TlsS3Server,
) -> None:
    kube, spec = _world(tls_s3, tls_s3.ca_pem)
    store = await s3_store_factory(kube, OperatorConfig(s3_max_attempts=1))(NS, spec)
    assert [info.key for info in store.list("prod/")] == ["prod/hello"]


async def test_without_the_ca_bundle_the_certificate_is_refused(tls_s3: TlsS3Server) -> None:
    kube, spec = _world(tls_s3, None)
    store = await s3_store_factory(kube, OperatorConfig(s3_max_attempts=1))(NS, spec)
    with pytest.raises(StorageError):
        list(store.list("prod/"))


async def test_a_secret_without_a_pem_is_refused_naming_the_field(tls_s3: TlsS3Server) -> None:
    kube, spec = _world(tls_s3, b"not a certificate")
    with pytest.raises(ConfigError, match=r"spec\.storage\.caBundleSecretRef"):
        await s3_store_factory(kube, OperatorConfig())(NS, spec)
