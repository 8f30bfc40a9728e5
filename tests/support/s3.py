"""A real S3 (and KMS) HTTP endpoint on loopback: moto's server, in its own process.

boto3 talks to it over HTTP exactly as to AWS, so retries, multipart uploads and error codes
go through the real client code. It runs as a subprocess (not a thread) so a test can stop it
to simulate an outage and start it again on the same port.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.ports import free_port, wait_until

#: Credentials moto accepts; they are test values, not secrets.
ACCESS_KEY = "strongroom-test-access"
SECRET_KEY = "strongroom-test-secret"
REGION = "eu-central-1"


@dataclass
class S3Server:
    """One moto server process; ``endpoint_url`` serves both S3 and KMS."""

    log_dir: Path
    port: int = field(default_factory=free_port)
    _proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint_url(self) -> str:
        """The HTTP endpoint for boto3's ``endpoint_url``."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the server and wait until it answers."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with (self.log_dir / "moto.log").open("ab") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self._answers, timeout=30, what=f"moto S3 server on {self.endpoint_url}")

    def _answers(self) -> bool:
        if self._proc is not None and self._proc.poll() is not None:
            raise RuntimeError(
                f"moto server exited with {self._proc.returncode}; see {self.log_dir}"
            )
        with urllib.request.urlopen(f"{self.endpoint_url}/moto-api/", timeout=1) as resp:  # noqa: S310
            return bool(resp.status == 200)

    def stop(self) -> None:
        """Stop the server (an outage, as far as clients can tell)."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def client_env(self) -> dict[str, str]:
        """Environment for a child process (CLI, agent) to reach this endpoint with boto3."""
        return {
            **os.environ,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
        }

    def client(self, service: str = "s3") -> object:
        """A boto3 client for ``service`` bound to this endpoint (tests' own assertions)."""
        import boto3  # noqa: PLC0415 - keep boto3 out of unit-test imports

        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )
