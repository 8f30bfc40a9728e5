"""The process kubelet's image table: which local programs stand in for which image.

There is no registry and no container runtime, so an image is a PATH prefix (and optionally an
entrypoint, default arguments, environment and user) on this machine. Images are matched by
name without registry, tag or digest: ``ghcr.io/acme/strongroom:1.2@sha256:…`` matches the
keys ``acme/strongroom`` or ``strongroom``. An image missing from the table is refused the way
a failed pull is (``ErrImagePull``), so a typo in a manifest fails a test instead of running
something else.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class ImageEntry:
    """How to run an image locally.

    Attributes:
        path_prefix: directories put first on ``PATH`` (the image's binaries).
        entrypoint: the image's ENTRYPOINT, used when a container sets no ``command``.
        cmd: the image's CMD, used when a container sets neither ``command`` nor ``args``.
        env: the image's own environment variables.
        user: the image's USER (uid); 0 is root, refused under ``runAsNonRoot``.
        reveal: host paths a non-root user must reach although an ancestor is private
            (e.g. the Python interpreter a virtualenv links to below ``/root``).
    """

    path_prefix: tuple[str, ...] = ()
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    user: int = 0
    reveal: tuple[str, ...] = ()


def image_keys(image: str) -> list[str]:
    """Names an image reference may be found under, most specific first."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)
    if ":" in last[-1]:
        name = name[: name.rindex(":")]
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    return list(dict.fromkeys(["/".join(parts), parts[-1]]))


def lookup(images: Mapping[str, ImageEntry], image: str) -> ImageEntry | None:
    """The entry for ``image``, or None if the table does not know it."""
    for key in image_keys(image):
        if key in images:
            return images[key]
    return None


def dump_images(images: Mapping[str, ImageEntry], path: Path) -> None:
    """Write the table as JSON for the kubelet process."""
    path.write_text(json.dumps({k: asdict(v) for k, v in images.items()}, indent=2))


def load_images(path: Path) -> dict[str, ImageEntry]:
    """Read a table written by :func:`dump_images`."""
    raw: dict[str, dict[str, list[object] | int]] = json.loads(path.read_text())
    table: dict[str, ImageEntry] = {}
    for key, fields in raw.items():
        env = fields.get("env", [])
        table[key] = ImageEntry(
            path_prefix=tuple(str(p) for p in fields.get("path_prefix", [])),  # type: ignore[union-attr]
            entrypoint=tuple(str(p) for p in fields.get("entrypoint", [])),  # type: ignore[union-attr]
            cmd=tuple(str(p) for p in fields.get("cmd", [])),  # type: ignore[union-attr]
            env=tuple((str(k), str(v)) for k, v in env),  # type: ignore[union-attr,misc]
            user=int(fields.get("user", 0)),  # type: ignore[arg-type]
            reveal=tuple(str(p) for p in fields.get("reveal", [])),  # type: ignore[union-attr]
        )
    return table
