"""Where the API server is and how to prove who we are: in-cluster or from a kubeconfig.

Replaces a whole client library's loaders (issue #4: importing ``kubernetes_asyncio.client``
alone cost 37.6 MiB). :func:`load` decides, in client-go's and kubectl's order:

1. an explicit kubeconfig: the ``kubeconfig`` argument (``--kubeconfig``), else ``KUBECONFIG``
   (the first file of a colon-separated list; files are not merged). Given one, it is used or
   refused with its name, never silently replaced by the pod's identity: pointing a pod at
   another cluster must not reach the local one;
2. the pod's ServiceAccount (``KUBERNETES_SERVICE_HOST``/``_PORT`` and ``token``/``ca.crt``);
3. ``~/.kube/config``.

From a kubeconfig only the current context is read: its cluster's ``server``,
``certificate-authority``/``-data``, ``insecure-skip-tls-verify`` and ``tls-server-name``, and
its user's ``client-certificate``/``-data`` + ``client-key``/``-data``, ``token``,
``tokenFile`` and ``exec`` (``client.authentication.k8s.io/v1`` and ``v1beta1``, as EKS and GKE
write). Relative paths are relative to the kubeconfig's directory.

Token files (the pod's bound token rotates hourly) are re-read whenever the file changes. An
exec plugin's answer is kept until its ``expirationTimestamp``; after that, or once after a
401, the plugin runs again. Certificate and key bytes from ``-data`` fields or a plugin live in
a private temporary directory only while :mod:`ssl` loads them. No message, log line or
exception here ever contains a token or key byte: they name the field and the fix.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import os
import ssl
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import yaml

from strongroom.errors import ConfigError

_log = logging.getLogger(__name__)

#: Where the kubelet mounts a pod's ServiceAccount token and the cluster's CA.
SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
_EXEC_VERSIONS = ("client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1")
#: An exec plugin that needs longer than this (a browser login, say) is not for an operator.
EXEC_TIMEOUT = 120.0


#: A client certificate and key: as files, or as PEM bytes (``-data`` fields, exec plugins).
_CertSource = tuple[Path, Path] | tuple[bytes, bytes]


@dataclass(frozen=True, eq=False)
class Auth:
    """One identity as sent: a bearer token and/or a client certificate in a TLS context.

    Compared by identity: a source hands out the same object until its credential changes, so
    a 401 tells by ``is`` whether the credential that failed is still the current one. The
    secret fields stay out of ``repr``.
    """

    tls: ssl.SSLContext = field(repr=False)
    token: str | None = field(default=None, repr=False)
    cert: _CertSource | None = field(default=None, repr=False)
    expires: datetime | None = None

    @property
    def headers(self) -> Mapping[str, str]:
        """The ``Authorization`` header, if there is a token."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


@dataclass(frozen=True)
class Login:
    """The current identity as plain fields (PEM text), for Kopf's own client to use too.

    Kopf's fallback logins know neither exec plugins nor ``KUBERNETES_SERVICE_HOST`` (they dial
    ``kubernetes.default.svc``, which needs cluster DNS), so the controller hands it this.
    """

    server: str
    ca_path: str | None = None
    ca_data: str | None = None
    insecure: bool = False
    token: str | None = field(default=None, repr=False)
    certificate_path: str | None = None
    certificate_data: str | None = field(default=None, repr=False)
    private_key_path: str | None = None
    private_key_data: str | None = field(default=None, repr=False)
    expiration: datetime | None = None


class _Source(Protocol):
    async def current(self) -> Auth: ...

    async def renew(self, failed: Auth) -> Auth | None: ...


@dataclass(frozen=True)
class _Tls:
    """The cluster half of TLS: whom to trust; :meth:`context` adds a client certificate."""

    ca_file: Path | None = None
    ca_data: str | None = None
    insecure: bool = False

    def context(self, cert: _CertSource | None = None) -> ssl.SSLContext:
        """A fresh client context trusting the cluster's CA, holding ``cert`` if given."""
        try:
            context = ssl.create_default_context(
                cafile=str(self.ca_file) if self.ca_file else None, cadata=self.ca_data
            )
        except (ssl.SSLError, OSError, ValueError) as exc:
            where = str(self.ca_file) if self.ca_file else "certificate-authority-data"
            raise ConfigError(
                f"the cluster's CA ({where}) cannot be loaded ({type(exc).__name__}); "
                "it must be a PEM certificate"
            ) from None
        if self.insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if cert is not None:
            _load_cert_chain(context, cert)
        return context


def _load_cert_chain(context: ssl.SSLContext, cert: _CertSource) -> None:
    """Load a client certificate and key; bytes go through 0600 files in a 0700 temp dir."""
    try:
        if isinstance(cert[0], Path):
            context.load_cert_chain(str(cert[0]), str(cert[1]))
            return
        with tempfile.TemporaryDirectory(prefix="strongroom-tls-") as private:
            paths = []
            for name, data in zip(("cert.pem", "key.pem"), cert, strict=True):
                path = Path(private) / name
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "wb") as out:
                    out.write(data)
                paths.append(str(path))
            context.load_cert_chain(paths[0], paths[1])
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(
            f"the client certificate and key cannot be loaded ({type(exc).__name__}); both must "
            "be PEM, and the key must belong to the certificate"
        ) from None


class _FixedAuth:
    """A token written into the kubeconfig and/or a client certificate: never changes."""

    def __init__(self, auth: Auth) -> None:
        self._auth = auth

    async def current(self) -> Auth:
        return self._auth

    async def renew(self, failed: Auth) -> Auth | None:  # noqa: ARG002 - nothing to renew
        return None


class _TokenFile:
    """A bearer token in a file, re-read whenever the file changes (bound tokens rotate)."""

    def __init__(self, path: Path, fixed: Auth, what: str) -> None:
        self._path = path
        self._fixed = fixed
        self._what = what
        self._seen: tuple[int, int, int] | None = None
        self._auth: Auth | None = None

    def _read(self) -> Auth:
        try:
            stat = self._path.stat()
            signature = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
            if self._auth is not None and signature == self._seen:
                return self._auth
            token = self._path.read_text().strip()
        except OSError as exc:
            raise ConfigError(
                f"{self._what} {self._path} cannot be read ({exc.strerror}); "
                "check that the file exists and is readable"
            ) from None
        if not token:
            raise ConfigError(f"{self._what} {self._path} is empty; it must hold a bearer token")
        if self._auth is None or self._auth.token != token:
            self._auth = Auth(self._fixed.tls, token, self._fixed.cert)
        self._seen = signature
        return self._auth

    async def current(self) -> Auth:
        return self._read()

    async def renew(self, failed: Auth) -> Auth | None:
        self._seen = None
        fresh = self._read()
        return None if fresh is failed else fresh


@dataclass(frozen=True)
class ExecPlugin:
    """A kubeconfig ``user.exec`` entry (client-go's credential plugin)."""

    user: str
    api_version: str
    command: str
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()


class _Exec:
    """Runs an exec plugin; keeps its answer until it expires, or once more after a 401."""

    def __init__(self, plugin: ExecPlugin, tls: _Tls, fixed: Auth) -> None:
        self._plugin = plugin
        self._tls = tls
        self._fixed = fixed
        self._lock = asyncio.Lock()
        self._auth: Auth | None = None
        self._expires: datetime | None = None

    def _fresh(self) -> bool:
        return self._auth is not None and (
            self._expires is None or datetime.now(UTC) < self._expires
        )

    async def current(self) -> Auth:
        if self._fresh():
            assert self._auth is not None  # noqa: S101 - _fresh checked it; for the type checker
            return self._auth
        async with self._lock:
            if not self._fresh():
                await self._run()
            assert self._auth is not None  # noqa: S101 - _run set it or raised
            return self._auth

    async def renew(self, failed: Auth) -> Auth | None:
        async with self._lock:
            if self._auth is failed:
                await self._run()
        return None if self._auth is failed else self._auth

    async def _run(self) -> None:
        plugin = self._plugin
        what = f"kubeconfig user {plugin.user!r}: exec plugin {plugin.command!r}"
        env = dict(os.environ) | dict(plugin.env)
        env["KUBERNETES_EXEC_INFO"] = json.dumps(
            {
                "apiVersion": plugin.api_version,
                "kind": "ExecCredential",
                "spec": {"interactive": False},
            }
        )
        try:
            process = await asyncio.create_subprocess_exec(
                plugin.command,
                *plugin.args,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            raise ConfigError(
                f"{what} cannot be started ({exc.strerror}); install it or fix user.exec.command"
            ) from None
        try:
            stdout, _ = await asyncio.wait_for(process.communicate(), EXEC_TIMEOUT)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise ConfigError(
                f"{what} gave no credential within {EXEC_TIMEOUT:.0f} s; run it by hand to see "
                "whether it waits for a login"
            ) from None
        if process.returncode != 0:
            raise ConfigError(
                f"{what} failed with exit code {process.returncode} (its own message is on "
                "stderr); run it by hand to see why"
            )
        token, cert, expires = _exec_credential(stdout, plugin.api_version, what)
        tls = self._fixed.tls if cert is None else self._tls.context(cert)
        self._auth = Auth(
            tls, token or self._fixed.token, cert or self._fixed.cert, expires=expires
        )
        self._expires = expires
        _log.debug("%s gave a credential until %s", what, expires or "it is refused")


def _exec_credential(
    stdout: bytes, api_version: str, what: str
) -> tuple[str | None, tuple[bytes, bytes] | None, datetime | None]:
    """Token, client certificate and expiry from an ExecCredential, checked field by field."""
    try:
        credential = json.loads(stdout)
    except ValueError:
        raise ConfigError(f"{what} did not print an ExecCredential as JSON on stdout") from None
    if not isinstance(credential, dict) or credential.get("kind") != "ExecCredential":
        raise ConfigError(f"{what} printed JSON whose kind is not ExecCredential")
    if credential.get("apiVersion") != api_version:
        raise ConfigError(
            f"{what} answered with apiVersion {credential.get('apiVersion')!r}, but the "
            f"kubeconfig asks for {api_version!r}; make user.exec.apiVersion match the plugin"
        )
    status = credential.get("status")
    if not isinstance(status, dict):
        raise ConfigError(f"{what} printed an ExecCredential without status")
    token = status.get("token") or None
    cert_pem, key_pem = status.get("clientCertificateData"), status.get("clientKeyData")
    if bool(cert_pem) != bool(key_pem):
        raise ConfigError(
            f"{what} gave only one of status.clientCertificateData and status.clientKeyData; "
            "a client certificate needs both"
        )
    if token is None and not cert_pem:
        raise ConfigError(
            f"{what} gave neither status.token nor status.clientCertificateData/clientKeyData"
        )
    expires = None
    if stamp := status.get("expirationTimestamp"):
        try:
            expires = datetime.fromisoformat(str(stamp))
        except ValueError:
            raise ConfigError(
                f"{what} gave status.expirationTimestamp {stamp!r}, which is not RFC 3339"
            ) from None
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
    cert = (str(cert_pem).encode(), str(key_pem).encode()) if cert_pem else None
    return (str(token) if token is not None else None), cert, expires


class Credentials:
    """The API server's URL and the current identity to send it, renewed when it changes."""

    def __init__(
        self,
        server: str,
        source: _Source,
        trust: _Tls,
        *,
        origin: str,
        server_hostname: str | None = None,
    ) -> None:
        self.server = server.rstrip("/")
        self.origin = origin
        self.server_hostname = server_hostname
        self._source = source
        self._trust = trust

    async def current(self) -> Auth:
        """The identity to send now (re-reads a changed token file, re-runs an expired plugin)."""
        return await self._source.current()

    async def renew(self, failed: Auth) -> Auth | None:
        """After a 401 with ``failed``: a new identity worth one retry, or ``None``."""
        return await self._source.renew(failed)

    async def login(self) -> Login:
        """The current identity as plain fields (see :class:`Login`)."""
        auth = await self.current()
        trust = self._trust
        files: tuple[str, str] | None = None
        data: tuple[str, str] | None = None
        if auth.cert is not None:
            cert, key = auth.cert
            if isinstance(cert, Path) and isinstance(key, Path):
                files = (str(cert), str(key))
            elif isinstance(cert, bytes) and isinstance(key, bytes):
                data = (cert.decode("ascii"), key.decode("ascii"))
        return Login(
            server=self.server,
            ca_path=str(trust.ca_file) if trust.ca_file else None,
            ca_data=trust.ca_data,
            insecure=trust.insecure,
            token=auth.token,
            certificate_path=files[0] if files else None,
            private_key_path=files[1] if files else None,
            certificate_data=data[0] if data else None,
            private_key_data=data[1] if data else None,
            expiration=auth.expires,
        )


def load(
    kubeconfig: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    service_account_dir: Path = SERVICE_ACCOUNT_DIR,
) -> Credentials:
    """Find credentials: ``kubeconfig``, else KUBECONFIG, else in-cluster, else ~/.kube/config.

    The one place that decides, for the CLI, the operator's client and Kopf's login alike.

    Raises:
        ConfigError: None is found, or one is wrong (an explicit kubeconfig that is missing or
            broken is an error naming it, not a reason to use the pod's identity instead); the
            message names the field and the fix.
    """
    env = os.environ if environ is None else environ
    host, port = env.get("KUBERNETES_SERVICE_HOST"), env.get("KUBERNETES_SERVICE_PORT")
    pod = (host, port) if host and port and (service_account_dir / "token").is_file() else None
    listed = [p for p in env.get("KUBECONFIG", "").split(os.pathsep) if p]
    if kubeconfig is not None or listed:
        flag = kubeconfig is not None
        given, undo = ("--kubeconfig", "drop it") if flag else ("KUBECONFIG", "unset it")
        fix = f"fix {given}" + (f", or {undo} to use the pod's ServiceAccount" if pod else "")
        return from_kubeconfig(kubeconfig or Path(listed[0]), fix=fix)
    if pod is not None:
        return in_cluster(*pod, service_account_dir)
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    default = home / ".kube" / "config"
    if not default.is_file():
        raise ConfigError(
            "no Kubernetes credentials: no --kubeconfig or KUBECONFIG, not in a pod "
            f"(KUBERNETES_SERVICE_HOST is unset or {service_account_dir}/token is missing) and "
            f"no kubeconfig at {default}; pass --kubeconfig or set KUBECONFIG"
        )
    return from_kubeconfig(default)


def in_cluster(host: str, port: str, directory: Path = SERVICE_ACCOUNT_DIR) -> Credentials:
    """The pod's ServiceAccount: its (rotating) token and the cluster CA in ``directory``."""
    ca = directory / "ca.crt"
    if not ca.is_file():
        raise ConfigError(
            f"in-cluster: {ca} is missing; mount the ServiceAccount token "
            "(automountServiceAccountToken: true) or pass a kubeconfig"
        )
    bracketed = f"[{host}]" if ":" in host else host
    trust = _Tls(ca_file=ca)
    source = _TokenFile(directory / "token", Auth(trust.context()), "in-cluster token file")
    return Credentials(
        f"https://{bracketed}:{port}", source, trust, origin="in-cluster ServiceAccount"
    )


def _mapping(value: Any, field: str, path: Path) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"kubeconfig {path}: {field} must be a mapping")
    return value


def _named(config: dict[str, Any], section: str, name: str, path: Path) -> dict[str, Any]:
    """The ``section`` entry (clusters/users/contexts) called ``name``, as a mapping."""
    entries = config.get(section) or []
    if not isinstance(entries, list):
        raise ConfigError(f"kubeconfig {path}: {section} must be a list")
    singular = section.removesuffix("s")
    for entry in entries:
        if isinstance(entry, dict) and entry.get("name") == name:
            return _mapping(entry.get(singular), f"{section}[{name!r}].{singular}", path)
    raise ConfigError(
        f"kubeconfig {path}: {singular} {name!r} is not among its {section}; add it or fix the "
        "context that names it"
    )


def _file(value: Any, base: Path) -> Path:
    """A kubeconfig path: relative ones are relative to the kubeconfig's directory."""
    return (base / Path(str(value)).expanduser()).resolve()


def _data(value: Any, field: str) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{field} is not base64; paste the output of `base64 -w0 FILE`") from None


def from_kubeconfig(path: Path, *, fix: str | None = None) -> Credentials:
    """Credentials of ``path``'s current context (see the module docstring for the fields).

    ``fix`` tells how to mend an unreadable file, depending on who named it (:func:`load`).
    """
    try:
        config = yaml.safe_load(path.read_text())
    except OSError as exc:
        fix = fix or "pass --kubeconfig or set KUBECONFIG to a readable file"
        raise ConfigError(f"kubeconfig {path} cannot be read ({exc.strerror}); {fix}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        # Only the position: a YAML error's own text quotes the file, which may hold a token.
        raise ConfigError(f"kubeconfig {path} is not valid YAML{where}") from None
    config = _mapping(config, "the document", path)
    context_name = config.get("current-context")
    if not context_name:
        raise ConfigError(
            f"kubeconfig {path} has no current-context; run `kubectl config use-context NAME`"
        )
    context = _named(config, "contexts", str(context_name), path)
    for key in ("cluster", "user"):
        if not context.get(key):
            raise ConfigError(
                f"kubeconfig {path}: context {context_name!r} names no {key}; set "
                f"contexts[].context.{key}"
            )
    cluster_name, user_name = str(context["cluster"]), str(context["user"])
    cluster = _named(config, "clusters", cluster_name, path)
    user = _named(config, "users", user_name, path)
    base = path.resolve().parent
    tls = _cluster_tls(cluster, cluster_name, base)
    server = str(cluster["server"])
    source = _user_source(user, user_name, tls, base)
    return Credentials(
        server,
        source,
        tls,
        origin=f"kubeconfig {path} (context {context_name!r})",
        server_hostname=str(cluster["tls-server-name"]) if cluster.get("tls-server-name") else None,
    )


def _cluster_tls(cluster: dict[str, Any], name: str, base: Path) -> _Tls:
    where = f"kubeconfig cluster {name!r}"
    server = cluster.get("server")
    if not server:
        raise ConfigError(f"{where} has no server; set clusters[].cluster.server to its https URL")
    if not str(server).startswith(("https://", "http://")):
        raise ConfigError(f"{where}: server {server!r} is not an http(s) URL")
    if cluster.get("proxy-url"):
        raise ConfigError(
            f"{where} sets proxy-url, which Strongroom does not support; reach the API server "
            "directly or through a tunnel"
        )
    insecure = bool(cluster.get("insecure-skip-tls-verify"))
    ca_data = cluster.get("certificate-authority-data")
    ca_file = cluster.get("certificate-authority")
    if insecure and (ca_data or ca_file):
        raise ConfigError(
            f"{where} sets insecure-skip-tls-verify together with a certificate authority; "
            "remove one of them"
        )
    if ca_data:
        pem = _data(ca_data, f"{where}: certificate-authority-data")
        return _Tls(ca_data=pem.decode("ascii", errors="replace"))
    if ca_file:
        return _Tls(ca_file=_file(ca_file, base))
    return _Tls(insecure=insecure)


def _client_cert(user: dict[str, Any], where: str, base: Path) -> _CertSource | None:
    has_cert = bool(user.get("client-certificate") or user.get("client-certificate-data"))
    has_key = bool(user.get("client-key") or user.get("client-key-data"))
    if has_cert != has_key:
        raise ConfigError(
            f"{where} has a client {'certificate' if has_cert else 'key'} without its "
            f"{'key' if has_cert else 'certificate'}; set both client-certificate(-data) and "
            "client-key(-data)"
        )
    if not has_cert:
        return None
    if user.get("client-certificate") and user.get("client-key"):
        return _file(user["client-certificate"], base), _file(user["client-key"], base)

    def read(field: str) -> bytes:
        if user.get(f"{field}-data"):
            return _data(user[f"{field}-data"], f"{where}: {field}-data")
        try:
            return _file(user[field], base).read_bytes()
        except OSError as exc:
            raise ConfigError(f"{where}: {field} cannot be read ({exc.strerror})") from None

    return read("client-certificate"), read("client-key")


def _exec_plugin(spec: Any, name: str, where: str, base: Path) -> ExecPlugin:
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: exec must be a mapping (apiVersion, command, args, env)")
    api_version = spec.get("apiVersion")
    if api_version not in _EXEC_VERSIONS:
        raise ConfigError(
            f"{where}: exec.apiVersion {api_version!r} is not supported; use one of "
            f"{', '.join(_EXEC_VERSIONS)}"
        )
    command = spec.get("command")
    if not command:
        raise ConfigError(f"{where}: exec has no command; set users[].user.exec.command")
    command = str(command)
    if os.sep in command and not Path(command).is_absolute():
        command = str(base / command)
    args = spec.get("args") or []
    env = spec.get("env") or []
    if not isinstance(args, list) or not isinstance(env, list):
        raise ConfigError(f"{where}: exec.args and exec.env must be lists")
    pairs = []
    for item in env:
        if not isinstance(item, dict) or "name" not in item or "value" not in item:
            raise ConfigError(f"{where}: each exec.env entry needs a name and a value")
        pairs.append((str(item["name"]), str(item["value"])))
    return ExecPlugin(name, str(api_version), command, tuple(map(str, args)), tuple(pairs))


def _user_source(user: dict[str, Any], name: str, tls: _Tls, base: Path) -> _Source:
    where = f"kubeconfig user {name!r}"
    if user.get("auth-provider"):
        provider = user["auth-provider"]
        kind = provider.get("name") if isinstance(provider, dict) else None
        raise ConfigError(
            f"{where} uses auth-provider {kind!r}, which Strongroom does not "
            "support; use an exec plugin (e.g. gke-gcloud-auth-plugin, `aws eks get-token`, "
            "kubelogin)"
        )
    if user.get("username") or user.get("password"):
        raise ConfigError(
            f"{where} uses username/password, which Kubernetes no longer accepts; use a token, "
            "a client certificate or an exec plugin"
        )
    cert = _client_cert(user, where, base)
    token = user.get("token")
    fixed = Auth(tls.context(cert), str(token) if token else None, cert)
    if user.get("exec"):
        return _Exec(_exec_plugin(user["exec"], name, where, base), tls, fixed)
    if user.get("tokenFile"):
        return _TokenFile(_file(user["tokenFile"], base), fixed, f"{where}: tokenFile")
    if not token and cert is None:
        raise ConfigError(
            f"{where} has neither token nor client certificate nor exec; add one of "
            "token/tokenFile, client-certificate(-data)+client-key(-data) or exec"
        )
    return _FixedAuth(fixed)
