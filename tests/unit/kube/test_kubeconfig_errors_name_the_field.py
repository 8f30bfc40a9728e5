"""A wrong kubeconfig is a ConfigError naming the field and the fix, never quoting a secret;
credentials are looked for in kubectl's order (the flag, KUBECONFIG, the pod, ~/.kube)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.support.certs import make_certs

from strongroom import config
from strongroom.cli import operator as cli_operator
from strongroom.cli.main import build_parser
from strongroom.config import OperatorConfig
from strongroom.controller import startup
from strongroom.errors import ConfigError
from strongroom.kube import credentials

SECRET = "s3cr3t-t0ken-value"
SERVER = "https://127.0.0.1:6443"


def _config(cluster: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    return {
        "clusters": [{"name": "c", "cluster": cluster}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "ctx",
    }


def _write(tmp_path: Path, config: Any, name: str = "config") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(config))
    return path


TOKEN_USER = {"token": SECRET}
EXEC_V1 = "client.authentication.k8s.io/v1"

BROKEN: list[tuple[str, Any, str]] = [
    ("no current-context", {"clusters": []}, "has no current-context; run `kubectl config"),
    (
        "unknown context",
        _config({"server": SERVER}, TOKEN_USER) | {"current-context": "elsewhere"},
        "context 'elsewhere' is not among its contexts",
    ),
    (
        "context without user",
        _config({"server": SERVER}, TOKEN_USER)
        | {"contexts": [{"name": "ctx", "context": {"cluster": "c"}}]},
        "names no user; set contexts[].context.user",
    ),
    ("no server", _config({}, TOKEN_USER), "cluster 'c' has no server"),
    ("server not a URL", _config({"server": "127.0.0.1"}, TOKEN_USER), "is not an http(s) URL"),
    (
        "proxy-url",
        _config({"server": SERVER, "proxy-url": "http://p:3128"}, TOKEN_USER),
        "sets proxy-url",
    ),
    (
        "insecure with a CA",
        _config(
            {"server": SERVER, "insecure-skip-tls-verify": True, "certificate-authority": "ca"},
            TOKEN_USER,
        ),
        "insecure-skip-tls-verify together with a certificate authority",
    ),
    (
        "CA data not base64",
        _config({"server": SERVER, "certificate-authority-data": "%%%"}, TOKEN_USER),
        "certificate-authority-data is not base64",
    ),
    (
        "empty user",
        _config({"server": SERVER}, {}),
        "user 'u' has neither token nor client certificate nor exec",
    ),
    (
        "certificate without key",
        _config({"server": SERVER}, {"client-certificate": "c.pem"}),
        "has a client certificate without its key",
    ),
    (
        "key data not base64",
        _config({"server": SERVER}, {"client-certificate-data": "QUJD", "client-key-data": SECRET}),
        "client-key-data is not base64",
    ),
    (
        "auth-provider",
        _config({"server": SERVER}, {"auth-provider": {"name": "gcp", "config": {}}}),
        "uses auth-provider 'gcp', which Strongroom does not support; use an exec plugin",
    ),
    (
        "basic auth",
        _config({"server": SERVER}, {"username": "me", "password": SECRET}),
        "uses username/password",
    ),
    (
        "exec version",
        _config({"server": SERVER}, {"exec": {"apiVersion": "v1alpha1", "command": "x"}}),
        "exec.apiVersion 'v1alpha1' is not supported",
    ),
    (
        "exec without command",
        _config({"server": SERVER}, {"exec": {"apiVersion": EXEC_V1}}),
        "exec has no command; set users[].user.exec.command",
    ),
    (
        "exec env entry",
        _config(
            {"server": SERVER},
            {"exec": {"apiVersion": EXEC_V1, "command": "x", "env": [{"name": "A"}]}},
        ),
        "each exec.env entry needs a name and a value",
    ),
]


@pytest.mark.parametrize(("config", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_a_broken_kubeconfig_names_the_field(tmp_path: Path, config: Any, message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        credentials.from_kubeconfig(_write(tmp_path, config))
    assert message in str(refused.value)
    assert SECRET not in str(refused.value)


def test_unreadable_or_invalid_yaml_says_where_but_never_quotes_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        credentials.from_kubeconfig(tmp_path / "missing")
    broken = tmp_path / "broken"
    broken.write_text(f"users:\n- user:\n    token: {SECRET}\n  bad: [\n")
    with pytest.raises(ConfigError, match="is not valid YAML at line") as refused:
        credentials.from_kubeconfig(broken)
    assert SECRET not in str(refused.value)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("not json", "did not print an ExecCredential as JSON"),
        ({"apiVersion": EXEC_V1, "kind": "Other"}, "whose kind is not ExecCredential"),
        (
            {"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential"},
            "make user.exec.apiVersion match the plugin",
        ),
        (
            {"apiVersion": EXEC_V1, "kind": "ExecCredential", "status": {}},
            "gave neither status.token nor status.clientCertificateData",
        ),
        (
            {
                "apiVersion": EXEC_V1,
                "kind": "ExecCredential",
                "status": {"token": SECRET, "expirationTimestamp": "tomorrow"},
            },
            "status.expirationTimestamp 'tomorrow', which is not RFC 3339",
        ),
    ],
)
async def test_a_wrong_exec_credential_names_the_field(
    tmp_path: Path, answer: Any, message: str
) -> None:
    printed = tmp_path / "answer"
    printed.write_text(answer if isinstance(answer, str) else json.dumps(answer))
    user = {"exec": {"apiVersion": EXEC_V1, "command": "cat", "args": [str(printed)]}}
    creds = credentials.from_kubeconfig(_write(tmp_path, _config({"server": SERVER}, user)))
    with pytest.raises(ConfigError) as refused:
        await creds.current()
    assert message in str(refused.value)
    assert SECRET not in str(refused.value)


@pytest.fixture
def pod(tmp_path: Path) -> Path:
    """A ServiceAccount mount: token and a real CA certificate."""
    mount = tmp_path / "serviceaccount"
    mount.mkdir()
    (mount / "ca.crt").write_bytes(make_certs(tmp_path / "pki").ca_cert.read_bytes())
    (mount / "token").write_text(SECRET)
    return mount


IN_POD = {"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"}
POD_SERVER = "https://[fd00::1]:443"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A home directory whose ``~/.kube/config`` points at ``https://home:1``."""
    home = tmp_path / "home"
    (home / ".kube").mkdir(parents=True)
    _write(home / ".kube", _config({"server": "https://home:1"}, TOKEN_USER))
    return home


def _server(kubeconfig: Path | None, environ: dict[str, str], mount: Path) -> str:
    return credentials.load(kubeconfig, environ=environ, service_account_dir=mount).server


def test_an_explicit_kubeconfig_wins_over_the_pod_which_wins_over_home(
    tmp_path: Path, pod: Path, home: Path
) -> None:
    flag = _write(tmp_path, _config({"server": "https://flag:1"}, TOKEN_USER), "flag")
    listed = _write(tmp_path, _config({"server": "https://listed:1"}, TOKEN_USER), "listed")
    at_home = {"HOME": str(home)}
    no_mount = tmp_path / "no-mount"
    env = at_home | {"KUBECONFIG": f"{listed}:{flag}"}

    # In a pod as outside one: the flag, else the first file of KUBECONFIG (empty entries skipped)
    for mount in (pod, no_mount):
        assert _server(flag, env | IN_POD, mount) == "https://flag:1"
        assert _server(None, env | IN_POD, mount) == "https://listed:1"
        assert _server(None, at_home | IN_POD | {"KUBECONFIG": f"::{flag}"}, mount) == (
            "https://flag:1"
        )
    # Nothing explicit: the pod's ServiceAccount (IPv6 host bracketed), even with ~/.kube/config
    assert _server(None, at_home | IN_POD | {"KUBECONFIG": ":"}, pod) == POD_SERVER
    # Not in a pod (no service env, or no token mounted): ~/.kube/config
    assert _server(None, at_home, pod) == "https://home:1"
    assert _server(None, at_home | IN_POD, no_mount) == "https://home:1"
    with pytest.raises(ConfigError, match="pass --kubeconfig or set KUBECONFIG"):
        _server(None, {"HOME": str(tmp_path)}, pod)


@pytest.mark.parametrize(
    ("by_flag", "fix"),
    [(True, "fix --kubeconfig, or drop it"), (False, "fix KUBECONFIG, or unset it")],
    ids=["flag", "KUBECONFIG"],
)
def test_a_missing_explicit_kubeconfig_is_refused_by_name_never_replaced_by_the_pod(
    tmp_path: Path, pod: Path, home: Path, by_flag: bool, fix: str
) -> None:
    missing = tmp_path / "other-cluster.kubeconfig"
    env = {"HOME": str(home)} | IN_POD | ({} if by_flag else {"KUBECONFIG": str(missing)})
    with pytest.raises(ConfigError) as refused:
        _server(missing if by_flag else None, env, pod)
    assert str(refused.value) == (
        f"kubeconfig {missing} cannot be read (No such file or directory); {fix} to use the "
        "pod's ServiceAccount"
    )
    # Outside a pod the fix is only to mend the path
    with pytest.raises(ConfigError, match=r"\(No such file or directory\); fix KUBECONFIG$"):
        _server(None, {"HOME": str(home), "KUBECONFIG": str(missing)}, pod)


def test_a_broken_explicit_kubeconfig_is_refused_in_a_pod_too(
    tmp_path: Path, pod: Path, home: Path
) -> None:
    broken = tmp_path / "broken"
    broken.write_text(f"users:\n- user:\n    token: {SECRET}\n  bad: [\n")
    no_context = _write(tmp_path, {"clusters": []}, "no-context")
    env = {"HOME": str(home)} | IN_POD
    with pytest.raises(
        ConfigError, match=re.escape(f"kubeconfig {broken} is not valid YAML")
    ) as refused:
        _server(None, env | {"KUBECONFIG": str(broken)}, pod)
    assert SECRET not in str(refused.value)
    with pytest.raises(
        ConfigError, match=re.escape(f"kubeconfig {no_context} has no current-context")
    ):
        _server(no_context, env, pod)


async def test_kopf_is_handed_the_same_identity_and_never_a_secret_in_a_repr(
    tmp_path: Path, pod: Path
) -> None:
    certs = make_certs(tmp_path / "own")
    user = {"client-certificate": str(certs.admin_cert), "client-key": str(certs.admin_key)}
    cluster = {"server": SERVER, "certificate-authority": str(certs.ca_cert)}
    by_files = await credentials.from_kubeconfig(_write(tmp_path, _config(cluster, user))).login()
    assert (by_files.server, by_files.ca_path) == (SERVER, str(certs.ca_cert))
    assert (by_files.certificate_path, by_files.private_key_path) == (
        str(certs.admin_cert),
        str(certs.admin_key),
    )
    in_pod = await credentials.in_cluster("10.0.0.1", "443", pod).login()
    assert (in_pod.server, in_pod.token) == ("https://10.0.0.1:443", SECRET)
    assert in_pod.ca_path == str(pod / "ca.crt")
    assert SECRET not in repr(in_pod)
    assert SECRET not in repr(await credentials.in_cluster("10.0.0.1", "443", pod).current())


async def test_the_operator_s_kubeconfig_is_the_one_kopf_and_its_client_log_in_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flag = _write(tmp_path, _config({"server": "https://flag:1"}, TOKEN_USER), "flag")
    listed = _write(tmp_path, _config({"server": "https://listed:1"}, TOKEN_USER), "listed")
    monkeypatch.setenv("KUBECONFIG", str(listed))
    monkeypatch.delenv("STRONGROOM_KUBECONFIG", raising=False)
    parser = build_parser()

    def started(*argv: str) -> OperatorConfig:
        return cli_operator.configuration(parser.parse_args(["operator", *argv]))

    # `strongroom operator --kubeconfig` wins over KUBECONFIG for Kopf's login as for our client
    monkeypatch.setattr(config, "_current", started("--kubeconfig", str(flag)))
    assert config.current().kubeconfig == flag
    assert (await startup.connection_info()).server == "https://flag:1"
    # Without the flag, KUBECONFIG (STRONGROOM_KUBECONFIG is the flag's variable)
    monkeypatch.setattr(config, "_current", started())
    assert (await startup.connection_info()).server == "https://listed:1"
    monkeypatch.setenv("STRONGROOM_KUBECONFIG", str(flag))
    assert started().kubeconfig == flag
