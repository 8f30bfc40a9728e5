"""An audit record can never carry a secret: the record refuses itself, naming only the field."""

from __future__ import annotations

import base64
import os

import pytest
from audit_world import record

from strongroom.errors import ConfigError

KEY_BYTES = os.urandom(32)
SECRET_SHAPES = {
    "hex key": KEY_BYTES.hex(),
    "base64 key": base64.b64encode(KEY_BYTES).decode(),
    "urlsafe base64 key": base64.urlsafe_b64encode(KEY_BYTES).decode(),
    "pem": "-----BEGIN PRIVATE KEY-----",
}


@pytest.mark.parametrize("name", ["password", "dbPassword", "secret", "token", "accessToken",
                                  "credentials", "keyMaterial", "key_bytes", "dek", "kek",
                                  "wrapped_dek", "apiKey", "key", "privateKey"])  # fmt: skip
def test_a_detail_named_like_a_secret_is_refused(name: str) -> None:
    with pytest.raises(ConfigError) as caught:
        record(details={name: "x"})
    assert f"details.{name}" in str(caught.value)
    assert caught.value.reason == "AuditRecordRefused"


@pytest.mark.parametrize("shape", sorted(SECRET_SHAPES))
@pytest.mark.parametrize("field", ["reason", "backup", "key_id", "actor", "details"])
def test_key_material_in_any_text_field_is_refused_without_echoing_it(
    shape: str, field: str
) -> None:
    value = SECRET_SHAPES[shape]
    changes = {"details": {"note": value}} if field == "details" else {field: f"x {value}"}
    with pytest.raises(ConfigError) as caught:
        record(**changes)
    assert value not in str(caught.value)
    assert field in str(caught.value)


def test_personal_data_shaped_like_an_email_is_refused_in_details() -> None:
    with pytest.raises(ConfigError, match="e-mail"):
        record(details={"customer": "jane.doe@example.com"})


def test_details_are_small_scalars() -> None:
    with pytest.raises(ConfigError, match="scalar"):
        record(details={"rows": [1, 2, 3]})
    with pytest.raises(ConfigError, match="more than 16"):
        record(details={f"n{i}": i for i in range(17)})


def test_naive_times_and_empty_identities_are_refused() -> None:
    with pytest.raises(ConfigError, match="naive"):
        record(time=record().time.replace(tzinfo=None))
    with pytest.raises(ConfigError, match="policy"):
        record(policy="")


def test_ordinary_evidence_is_accepted() -> None:
    # Kubernetes names, regions, ids, versions, levels and sizes are what a record is for.
    accepted = record(
        backup="strongroom-test-0123456789ab-orders-202611230900",
        reason="RetentionExpired: deleted after maxAge 30d",
        details={"sizeBytes": 10**12, "level": "equivalence", "verified": True, "rto": 95.5},
    )
    assert accepted.details["level"] == "equivalence"
