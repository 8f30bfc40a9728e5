"""``strongroom status`` rows: compliant, ages, and the reasons of failing checks and readiness."""

from __future__ import annotations

from datetime import UTC, datetime

from strongroom.cli.status import rows

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_a_row_names_the_failing_checks_and_the_readiness_reason() -> None:
    policy = {
        "metadata": {"name": "orders"},
        "status": {
            "compliant": "False",
            "lastSuccessfulBackup": {"name": "b", "time": "2026-05-01T11:30:00Z"},
            "keyRing": {"primaryCreated": "2026-04-01T12:00:00Z"},
            "complianceChecks": {
                "rpo": {"status": "True", "reason": "BackupWithinRPO"},
                "verification": {"status": "False", "reason": "NeverVerified"},
            },
            "conditions": [{"type": "Ready", "status": "False", "reason": "SecretMissing"}],
        },
    }
    ((name, compliant, last, verified, key_age, reasons),) = rows([policy], NOW)
    assert (name, compliant, verified) == ("orders", "False", "never")
    assert last == "30m ago"
    assert key_age.startswith("30d")
    assert reasons == "not ready: SecretMissing; verification: NeverVerified"
