"""verify-full: dumps and restores run over TLS and refuse a server the CA did not sign."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
from tests.integration.engines.conftest import EngineCase
from tests.support.certs import make_certs

from strongroom.engines.base import TLSMode
from strongroom.errors import EngineError


def test_a_verified_tls_round_trip_keeps_every_fingerprint(case: EngineCase) -> None:
    conn = dataclasses.replace(
        case.store.connection, tls=TLSMode.VERIFY_FULL, ca_file=case.server.ca_file
    )
    data, at_dump = case.dump(conn)
    target = dataclasses.replace(
        case.new_database(), tls=TLSMode.VERIFY_FULL, ca_file=case.server.ca_file
    )
    case.engine.restore(target, io.BytesIO(data))
    assert case.engine.fingerprints(target) == at_dump


def test_a_server_certificate_from_another_ca_is_refused(case: EngineCase, tmp_path: Path) -> None:
    stranger = make_certs(tmp_path / "other-ca").ca_cert
    conn = dataclasses.replace(case.store.connection, tls=TLSMode.VERIFY_FULL, ca_file=stranger)
    with pytest.raises(EngineError), case.engine.dump(conn):
        pass


def test_the_restore_tool_itself_refuses_a_server_from_another_ca(
    case: EngineCase, tmp_path: Path
) -> None:
    data, _ = case.dump()
    stranger = make_certs(tmp_path / "other-ca").ca_cert
    target = dataclasses.replace(case.new_database(), tls=TLSMode.VERIFY_FULL, ca_file=stranger)
    # allow_overwrite skips the driver's emptiness check: the tool meets the server first.
    with pytest.raises(EngineError) as failure:
        case.engine.restore(target, io.BytesIO(data), allow_overwrite=True)
    assert ("pg_restore" if case.engine.name == "postgresql" else "mariadb") in str(failure.value)
