"""The operator's own API client logs in every way kubectl does, against the real API server.

Since the client is plain aiohttp (no client library's loaders), each credential a kubeconfig
or a pod can hold is proven here by asking the API server who we are (a SelfSubjectReview):
client certificates from files (relative to the kubeconfig) or ``-data``, tokens, token files,
exec plugins (cached until they expire, re-run after expiry or once after a 401), the pod's
ServiceAccount token (re-read when it rotates; a kubeconfig given in the pod wins over it), and
TLS: a wrong CA or server name is refused.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml
from tests.support.certs import make_certs
from tests.support.cluster import LocalCluster

from strongroom.cli.session import whoami
from strongroom.errors import ConfigError, KubeError
from strongroom.kube import credentials
from strongroom.kube.base import CONFIG_MAPS
from strongroom.kube.client import RealKube

#: An exec credential plugin: answers from a plan (one per run, the last repeats), counts runs.
PLUGIN = """#!{python}
import json, os, sys, time
plan = json.load(open(sys.argv[1]))
runs = open(sys.argv[2], "a+")
runs.write(os.environ["PLUGIN_ENV"] + " " + os.environ["KUBERNETES_EXEC_INFO"] + "\\n")
runs.seek(0)
answer = plan[min(len(runs.readlines()), len(plan)) - 1]
status = {{k: v for k, v in answer.items() if k != "ttl"}}
if answer.get("ttl"):
    expiry = time.gmtime(time.time() + answer["ttl"])
    status["expirationTimestamp"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", expiry)
print(json.dumps({{"apiVersion": sys.argv[3], "kind": "ExecCredential", "status": status}}))
"""


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def _write_kubeconfig(path: Path, cluster: dict[str, Any], user: dict[str, Any]) -> Path:
    """A kubeconfig whose current context joins ``cluster`` and ``user``."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": cluster}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "ctx",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config))
    return path


def _token(local: LocalCluster, namespace: str, name: str) -> str:
    """A real bound token of ServiceAccount ``namespace/name`` (created if needed)."""
    config = yaml.safe_load(local.service_account_kubeconfig(namespace, name).read_text())
    return str(config["users"][0]["user"]["token"])


def _tls_leftovers() -> list[Path]:
    """Private directories the client wrote certificate/key bytes to, still on disk."""
    return list(Path(tempfile.gettempdir()).glob("strongroom-tls-*"))


def _account(namespace: str, name: str) -> str:
    return f"system:serviceaccount:{namespace}:{name}"


@asynccontextmanager
async def _client(creds: credentials.Credentials) -> AsyncIterator[RealKube]:
    kube = await RealKube.open(creds)
    try:
        yield kube
    finally:
        await kube.close()


async def _whoami_with(path: Path) -> str | None:
    async with _client(credentials.load(path)) as kube:
        return await whoami(kube)


@pytest.fixture
def trusted(cluster: LocalCluster) -> dict[str, Any]:
    """The cluster entry: server and CA file."""
    return {"server": cluster.server, "certificate-authority": str(cluster.certs.ca_cert)}


async def test_client_certificates_from_files_relative_to_the_kubeconfig_or_from_data(
    cluster: LocalCluster, trusted: dict[str, Any], tmp_path: Path
) -> None:
    certs = cluster.certs
    # Given the admin certificate referenced relative to the kubeconfig's own directory
    home = tmp_path / "home"
    home.mkdir()
    for source in (certs.ca_cert, certs.admin_cert, certs.admin_key):
        (home / source.name).write_bytes(source.read_bytes())
    relative = _write_kubeconfig(
        home / "relative.kubeconfig",
        {"server": cluster.server, "certificate-authority": certs.ca_cert.name},
        {"client-certificate": certs.admin_cert.name, "client-key": certs.admin_key.name},
    )
    # and the same identity, CA included, inlined as -data
    inline = _write_kubeconfig(
        tmp_path / "inline.kubeconfig",
        {"server": cluster.server, "certificate-authority-data": _b64(certs.ca_cert)},
        {
            "client-certificate-data": _b64(certs.admin_cert),
            "client-key-data": _b64(certs.admin_key),
        },
    )
    # Then the API server knows both as the admin
    assert await _whoami_with(relative) == "admin"
    assert await _whoami_with(inline) == "admin"
    # and the -data bytes were only on disk while ssl loaded them
    assert _tls_leftovers() == []


async def test_a_token_and_a_token_file(
    cluster: LocalCluster, namespace: str, trusted: dict[str, Any], tmp_path: Path
) -> None:
    token = _token(cluster, namespace, "reader")
    (tmp_path / "token").write_text(token + "\n")
    inline = _write_kubeconfig(tmp_path / "token.kubeconfig", trusted, {"token": token})
    in_file = _write_kubeconfig(tmp_path / "file.kubeconfig", trusted, {"tokenFile": "token"})
    assert await _whoami_with(inline) == _account(namespace, "reader")
    assert await _whoami_with(in_file) == _account(namespace, "reader")


async def test_a_wrong_token_is_a_401_kube_error(
    cluster: LocalCluster, namespace: str, trusted: dict[str, Any], tmp_path: Path
) -> None:
    forged = _write_kubeconfig(tmp_path / "forged.kubeconfig", trusted, {"token": "not-a-token"})
    async with _client(credentials.load(forged)) as kube:
        with pytest.raises(KubeError) as refused:
            await kube.list(CONFIG_MAPS, namespace)
    assert refused.value.status == 401
    assert "not-a-token" not in str(refused.value)


async def test_tls_trusts_only_the_clusters_ca_and_checks_the_server_name(
    cluster: LocalCluster, trusted: dict[str, Any], tmp_path: Path
) -> None:
    admin = {
        "client-certificate": str(cluster.certs.admin_cert),
        "client-key": str(cluster.certs.admin_key),
    }
    # A CA of another cluster is refused, as unreachable (the same message as any TLS failure)
    stranger = make_certs(tmp_path / "other-pki").ca_cert
    wrong_ca = {"server": cluster.server, "certificate-authority": str(stranger)}
    with pytest.raises(KubeError, match="unreachable"):
        await _whoami_or_raise(_write_kubeconfig(tmp_path / "wrong-ca", wrong_ca, admin))
    # The server certificate names kubernetes.default.svc, not example.com
    for name, accepted in (("kubernetes.default.svc", True), ("example.com", False)):
        named = _write_kubeconfig(tmp_path / name, trusted | {"tls-server-name": name}, admin)
        if accepted:
            assert await _whoami_or_raise(named) == "admin"
        else:
            with pytest.raises(KubeError, match="unreachable"):
                await _whoami_or_raise(named)
    # insecure-skip-tls-verify trusts any server (as kubectl does when told so)
    insecure = {"server": cluster.server, "insecure-skip-tls-verify": True}
    assert await _whoami_or_raise(_write_kubeconfig(tmp_path / "insecure", insecure, admin))


async def _whoami_or_raise(path: Path) -> str:
    """The user name; a failed request raises (where :func:`whoami` would say ``None``)."""
    async with _client(credentials.load(path)) as kube:
        await kube.list(CONFIG_MAPS, "default")
        return await whoami(kube) or ""


#: Writes the exec plugin answering ``plan`` and a kubeconfig of ``version`` that runs it.
Plugin = Callable[[list[dict[str, Any]], str], tuple[Path, Path]]


@pytest.fixture
def plugin(trusted: dict[str, Any], tmp_path: Path) -> Plugin:
    """Return ``make(plan, version) -> (kubeconfig, run log)``; the log is emptied each time."""

    def make(plan: list[dict[str, Any]], version: str) -> tuple[Path, Path]:
        script = tmp_path / "bin" / "plugin.py"
        script.parent.mkdir(exist_ok=True)
        script.write_text(PLUGIN.format(python=sys.executable))
        script.chmod(0o700)
        (tmp_path / "plan.json").write_text(json.dumps(plan))
        runs = tmp_path / "runs.log"
        runs.unlink(missing_ok=True)
        user = {
            "exec": {
                "apiVersion": version,
                "command": "./bin/plugin.py",  # relative to the kubeconfig, as client-go has it
                "args": [str(tmp_path / "plan.json"), str(runs), version],
                "env": [{"name": "PLUGIN_ENV", "value": "from-kubeconfig"}],
            }
        }
        return _write_kubeconfig(tmp_path / "exec.kubeconfig", trusted, user), runs

    return make


async def test_an_exec_plugins_token_is_kept_until_it_expires_then_fetched_again(
    cluster: LocalCluster, namespace: str, plugin: Plugin
) -> None:
    token = _token(cluster, namespace, "execer")
    path, runs = plugin([{"token": token, "ttl": 3}], "client.authentication.k8s.io/v1")
    creds = credentials.load(path)
    async with _client(creds) as kube:
        # Three requests within the token's lifetime run the plugin once, with its env
        for _ in range(3):
            assert await whoami(kube) == _account(namespace, "execer")
        lines = runs.read_text().splitlines()
        assert len(lines) == 1
        env, info = lines[0].split(" ", 1)
        assert env == "from-kubeconfig"
        assert json.loads(info)["spec"] == {"interactive": False}
        # After the expiry the next request runs it again
        await asyncio.sleep(3.5)
        assert await whoami(kube) == _account(namespace, "execer")
        assert len(runs.read_text().splitlines()) == 2
        # Kopf is handed the same token, with its expiry so that it logs in again in time
        login = await creds.login()
        assert login.token == token
        assert login.expiration is not None
        assert len(runs.read_text().splitlines()) == 2


async def test_an_exec_plugin_runs_once_more_after_a_401_and_may_give_a_certificate(
    cluster: LocalCluster, namespace: str, plugin: Plugin
) -> None:
    version = "client.authentication.k8s.io/v1beta1"
    # A token the API server refuses (no expiry given), then a good one: one 401, one re-run
    real = {"token": _token(cluster, namespace, "execer")}
    path, runs = plugin([{"token": "revoked"}, real], version)
    async with _client(credentials.load(path)) as kube:
        assert await whoami(kube) == _account(namespace, "execer")
        assert await whoami(kube) == _account(namespace, "execer")
    assert len(runs.read_text().splitlines()) == 2
    # A plugin that keeps answering a refused token: the 401 comes back after one re-run
    path, runs = plugin([{"token": "revoked"}], version)
    async with _client(credentials.load(path)) as kube:
        with pytest.raises(KubeError) as refused:
            await kube.list(CONFIG_MAPS, namespace)
    assert refused.value.status == 401
    assert len(runs.read_text().splitlines()) == 2
    # A client certificate instead of a token
    pem = {
        "clientCertificateData": cluster.certs.admin_cert.read_text(),
        "clientKeyData": cluster.certs.admin_key.read_text(),
    }
    path, _ = plugin([pem], version)
    assert await _whoami_or_raise(path) == "admin"


async def test_a_failing_exec_plugin_is_a_config_error_without_its_output(
    trusted: dict[str, Any], tmp_path: Path
) -> None:
    script = tmp_path / "fail.py"
    script.write_text(f"#!{sys.executable}\nprint('secret-token-bytes'); raise SystemExit(3)\n")
    script.chmod(0o700)
    exec_spec = {"apiVersion": "client.authentication.k8s.io/v1", "command": str(script)}
    path = _write_kubeconfig(tmp_path / "fail.kubeconfig", trusted, {"exec": exec_spec})
    with pytest.raises(ConfigError, match="exit code 3") as failed:
        await RealKube.open(credentials.load(path))
    assert "secret-token-bytes" not in str(failed.value)


async def test_in_cluster_the_token_is_reread_when_it_rotates_and_a_kubeconfig_given_wins(
    cluster: LocalCluster, namespace: str, tmp_path: Path
) -> None:
    # Given a pod's view: the service env and a token/ca.crt directory (kubelet's atomic swap)
    mount = tmp_path / "serviceaccount"
    mount.mkdir()
    (mount / "ca.crt").write_bytes(cluster.certs.ca_cert.read_bytes())

    def project(token: str) -> None:
        staged = mount / "token.new"
        staged.write_text(token)
        staged.replace(mount / "token")

    project(_token(cluster, namespace, "first"))
    port = str(urlparse(cluster.server).port)
    env = {"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": port}
    # With no kubeconfig given, the pod's ServiceAccount is used
    creds = credentials.load(environ=env | {"HOME": str(tmp_path)}, service_account_dir=mount)
    async with _client(creds) as kube:
        assert await whoami(kube) == _account(namespace, "first")
        # When the kubelet rotates the token, the next request sends the new one
        project(_token(cluster, namespace, "second"))
        assert await whoami(kube) == _account(namespace, "second")
    # A kubeconfig given in the same pod (KUBECONFIG or --kubeconfig) wins, as with kubectl
    admin = {"KUBECONFIG": str(cluster.kubeconfig)}
    by_env = credentials.load(environ=env | admin, service_account_dir=mount)
    by_flag = credentials.load(cluster.kubeconfig, environ=env, service_account_dir=mount)
    for creds in (by_env, by_flag):
        async with _client(creds) as kube:
            assert await whoami(kube) == "admin"
