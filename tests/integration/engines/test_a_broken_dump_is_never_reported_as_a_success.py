"""F11: a dump tool killed mid-stream, or a server that goes away mid-dump, is an EngineError."""

from __future__ import annotations

import os
import signal

import pytest
from tests.integration.engines.conftest import EngineCase

from strongroom.errors import EngineError


def test_a_dump_tool_killed_mid_stream_fails_the_dump(case: EngineCase) -> None:
    with case.engine.dump(case.store.connection) as dump:
        first = dump.stdout.read(4096)
        assert first
        os.kill(dump.pid, signal.SIGKILL)  # type: ignore[attr-defined]
        rest = dump.stdout.read()
        with pytest.raises(EngineError) as failure:
            dump.finish()
    assert "killed by signal 9" in str(failure.value)
    assert len(first) + len(rest) > 0


def test_a_server_stopped_during_the_dump_fails_the_dump(case: EngineCase) -> None:
    try:
        with case.engine.dump(case.store.connection) as dump:
            assert dump.stdout.read(4096)
            case.server.stop()
            dump.stdout.read()
            with pytest.raises(EngineError) as failure:
                dump.finish()
    finally:
        case.server.start()
    message = str(failure.value)
    assert "exited with code" in message or "fingerprint" in message


def test_a_dump_that_is_abandoned_leaves_no_tool_running(case: EngineCase) -> None:
    with case.engine.dump(case.store.connection) as dump:
        pid = dump.pid  # type: ignore[attr-defined]
        dump.stdout.read(1024)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_finish_before_reading_everything_is_refused(case: EngineCase) -> None:
    with case.engine.dump(case.store.connection) as dump:
        dump.stdout.read(1024)
        with pytest.raises(EngineError, match="not read to the end"):
            dump.finish()
