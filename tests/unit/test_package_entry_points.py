"""The package is importable as ``strongroom`` only, and both entry points answer."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from strongroom import __version__
from strongroom.cli.main import main


def test_stdlib_operator_is_not_shadowed() -> None:
    operator = importlib.import_module("operator")
    assert hasattr(operator, "itemgetter"), "the package directory must never shadow `operator`"


def test_version_flag_prints_the_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"strongroom {__version__}"


def test_python_dash_m_runs_the_cli() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "strongroom", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == f"strongroom {__version__}"
