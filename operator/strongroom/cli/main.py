"""The ``strongroom`` command tree: the operator, the in-pod agent, and tools for people.

Each sub-command module listed in :data:`COMMAND_MODULES` exposes
``register(subparsers) -> None``; it adds its parsers and sets ``handler`` (a callable taking the
parsed namespace and returning an exit code) with ``set_defaults``. Heavy imports (boto3, Kopf,
database drivers) happen inside handlers, so ``strongroom --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Protocol, cast

from strongroom import __version__

#: Modules that contribute sub-commands, in the order ``--help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "strongroom.cli.agent",
    "strongroom.cli.decrypt",
    "strongroom.cli.operator",
    "strongroom.cli.backup_now",
    "strongroom.cli.restore",
    "strongroom.cli.keys",
    "strongroom.cli.status",
    "strongroom.cli.report",
)


class _CommandModule(Protocol):
    def register(self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        """Add this module's sub-commands."""


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every sub-command attached."""
    parser = argparse.ArgumentParser(
        prog="strongroom",
        description="Encrypted, verified, compliant database backups for Kubernetes.",
    )
    parser.add_argument("--version", action="version", version=f"strongroom {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = cast("_CommandModule", importlib.import_module(name))
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = cast("Callable[[argparse.Namespace], int] | None", getattr(args, "handler", None))
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    return handler(args)
