"""Writes during a dump never make the recorded fingerprints disagree with the dumped data."""

from __future__ import annotations

import io
import threading
import time

from tests.integration.engines.conftest import EngineCase


def test_fingerprints_match_the_dump_despite_concurrent_writes(case: EngineCase) -> None:
    stop = threading.Event()
    written = 0

    def shop_traffic() -> None:
        nonlocal written
        while not stop.is_set():
            row = written % 1000 + 1
            case.execute(f"UPDATE order_items SET quantity = quantity + 1 WHERE id = {row}")  # noqa: S608
            written += 1

    writer = threading.Thread(target=shop_traffic, daemon=True)
    writer.start()
    try:
        time.sleep(0.2)
        data, at_dump = case.dump()
        time.sleep(0.2)
    finally:
        stop.set()
        writer.join()
    assert written > 5, "the writer really ran during the dump"

    target = case.new_database()
    case.engine.restore(target, io.BytesIO(data))
    assert case.engine.fingerprints(target) == at_dump
    assert case.engine.fingerprints(case.store.connection) != at_dump  # the writes went on
