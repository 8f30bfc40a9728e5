"""The private mount namespace a process-kubelet container runs in (bubblewrap, as root).

A container sees the host filesystem, plus its volumes bind-mounted at their ``mountPath``, a
fresh minimal ``/dev`` (so ``/dev/termination-log`` is a private file) and its own hostname.
A ``mountPath`` that does not exist on the host must not be created there: each existing
ancestor of such a path is *shadowed* — rebuilt as a directory on bubblewrap's tmpfs root with
every host entry bind-mounted back into it — so the missing directories are created on tmpfs
only. The same trick makes a 0700 directory such as ``/root`` traversable for a non-root
``runAsUser`` when an image's interpreter lives below it (``ImageEntry.reveal``).
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

_SPECIAL = {"/dev": ["--dev", "/dev"], "/proc": ["--proc", "/proc"]}


@dataclass(frozen=True)
class Mount:
    """One bind mount: host ``source`` appears at ``target`` inside the container."""

    source: str
    target: str
    read_only: bool = False


@dataclass(frozen=True)
class Identity:
    """The uid, gid and supplementary groups the process runs as (None: keep root)."""

    uid: int | None = None
    gid: int | None = None
    groups: tuple[int, ...] = ()


def _ancestors(path: str) -> list[str]:
    parts = PurePosixPath(path).parents
    return sorted((str(p) for p in parts), key=len)


@dataclass
class _Plan:
    """Directories rebuilt on tmpfs: ``full`` keep every host entry, ``narrow`` only ``keep``."""

    full: set[str] = field(default_factory=set)
    narrow: set[str] = field(default_factory=set)
    keep: set[str] = field(default_factory=set)


def _plan(mounts: list[Mount], reveal: tuple[str, ...]) -> _Plan:
    plan = _Plan()
    for mount in mounts:
        if (
            mount.target == "/dev"
            or mount.target.startswith("/dev/")
            or os.path.lexists(mount.target)
        ):
            continue
        plan.full.update(a for a in _ancestors(mount.target) if Path(a).is_dir())
    for path in reveal:
        chain = [*_ancestors(path), path]
        closed = [
            a for a in chain if Path(a).is_dir() and not Path(a).stat().st_mode & stat.S_IXOTH
        ]
        if closed:
            deepest = max(closed, key=len)
            plan.narrow.update(a for a in chain if len(a) <= len(deepest))
            plan.keep.update(chain)
            if deepest == path:  # the revealed directory is private itself (a mktemp -d clone)
                plan.full.add(path)  # rebuilt open, with everything in it
    plan.narrow -= plan.full
    return plan


def _rebuild(directory: str, plan: _Plan, ops: list[str]) -> None:
    for entry in sorted(Path(directory).iterdir()):
        path = str(entry)
        if directory in plan.narrow and path not in plan.keep:
            continue  # a revealed private directory shows only the way to what it reveals
        if path in _SPECIAL:
            ops += _SPECIAL[path]
        elif path in plan.full or path in plan.narrow:
            mode = stat.S_IMODE(entry.stat().st_mode) | 0o755
            ops += ["--perms", f"{mode:04o}", "--dir", path]
            _rebuild(path, plan, ops)
        elif entry.is_symlink():
            ops += ["--symlink", str(entry.readlink()), path]
        else:
            ops += ["--dev-bind-try", path, path]


def _missing_dirs(mount: Mount) -> list[str]:
    """Directories bubblewrap must create for ``mount``, outermost first, all mode 0755."""
    chain = _ancestors(mount.target)
    if Path(mount.source).is_dir():
        chain.append(mount.target)
    return [d for d in chain if not os.path.lexists(d) and d != "/"]


def _restore_hidden(mounts: list[Mount], reveal: tuple[str, ...]) -> list[str]:
    """Bind revealed image paths back when a volume is mounted over one of their ancestors.

    A real image carries its own files; here the "image" is a host directory (the checkout's
    virtualenv), so a volume at e.g. ``/tmp`` would hide a checkout living below ``/tmp``.
    """
    ops: list[str] = []
    for path in reveal:
        hidden = any(
            path == m.target or path.startswith(m.target.rstrip("/") + "/") for m in mounts
        )
        if not hidden:
            continue
        if Path(path).is_dir() and not Path(path).stat().st_mode & stat.S_IXOTH:
            # A private directory (a mktemp -d clone) bound as it is would stay closed to a
            # non-root user: rebuild it open and bind what is in it.
            ops += ["--perms", "0755", "--dir", path]
            for child in sorted(Path(path).iterdir()):
                ops += ["--ro-bind-try", str(child), str(child)]
        else:
            ops += ["--ro-bind", path, path]
    return ops


def bwrap_argv(
    argv: list[str],
    *,
    mounts: list[Mount],
    workdir: str,
    hostname: str,
    identity: Identity,
    reveal: tuple[str, ...] = (),
) -> list[str]:
    """Return the full command line that runs ``argv`` in the container's mount namespace."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise FileNotFoundError("bwrap is not installed; run `apt-get install bubblewrap`")
    resolved = [Mount(m.source, os.path.realpath(m.target), m.read_only) for m in mounts]
    plan = _plan(resolved, tuple(os.path.realpath(p) for p in reveal))
    ops = [bwrap, "--die-with-parent", "--unshare-uts", "--hostname", hostname]
    if plan.full or plan.narrow:
        _rebuild("/", plan, ops)
    else:
        ops += ["--dev-bind", "/", "/", "--dev", "/dev"]
    created: set[str] = set()
    for mount in sorted(resolved, key=lambda m: len(m.target)):
        for directory in _missing_dirs(mount):
            if directory not in created:
                ops += ["--perms", "0755", "--dir", directory]
                created.add(directory)
        ops += ["--ro-bind" if mount.read_only else "--bind", mount.source, mount.target]
    ops += _restore_hidden(resolved, tuple(os.path.realpath(p) for p in reveal))
    ops += ["--chdir", workdir, "--"]
    if identity.uid is not None or identity.gid is not None:
        ops += ["/usr/bin/setpriv", f"--reuid={identity.uid or 0}", f"--regid={identity.gid or 0}"]
        if identity.groups:
            ops.append(f"--groups={','.join(str(g) for g in identity.groups)}")
        else:
            ops.append("--clear-groups")
        ops.append("--")
    return ops + argv
