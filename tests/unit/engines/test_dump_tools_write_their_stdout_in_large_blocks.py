"""A dump tool's stdout is buffered in 1 MiB blocks, not C stdio's 4 KiB on a pipe.

``env`` stands in for the tool: ``stdbuf`` hands the buffer size to the program it runs in
``_STDBUF_O`` (with its preload library), so the tool's own environment shows it was applied.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from strongroom.engines.tooling import ToolProcess, child_env


@pytest.fixture
def env_tool() -> str:
    found = shutil.which("env")
    assert found is not None
    return found


def test_a_tool_whose_stdout_is_read_gets_a_one_mebibyte_buffer(env_tool: str) -> None:
    assert shutil.which("stdbuf") is not None, "coreutils' stdbuf is in the agent image"
    proc = ToolProcess([env_tool], env=child_env(), secrets=[], stdout=subprocess.PIPE)
    try:
        assert proc.proc.stdout is not None
        out = proc.proc.stdout.read()
        assert proc.wait() == 0
    finally:
        proc.stop()
    assert b"_STDBUF_O=1048576\n" in out
    assert proc.tool == "env"  # messages still name the tool, not the wrapper


def test_a_tool_whose_stdout_is_not_read_runs_as_it_is(env_tool: str) -> None:
    proc = ToolProcess([env_tool], env=child_env(), secrets=[], stdout=subprocess.DEVNULL)
    try:
        assert proc.wait() == 0
        assert proc.proc.args == [env_tool]
    finally:
        proc.stop()
