"""The result always fits Kubernetes' 4096-byte termination message and parses back."""

from __future__ import annotations

from pathlib import Path

from strongroom.agent.report import TERMINATION_MESSAGE_LIMIT, AgentResult, write_result
from strongroom.api.backup import EquivalenceMethod


def test_a_result_with_thousands_of_mismatches_is_cut_to_fit() -> None:
    result = AgentResult(
        role="verify",
        outcome="failed",
        reason="VerificationMismatch",
        message="restored data differs " * 500,
        mismatches=[f"table public.t{i}: content differs from dump time" for i in range(5000)],
        level_reached="restorability",
    )
    text = result.to_compact_json()
    assert len(text.encode()) <= TERMINATION_MESSAGE_LIMIT
    back = AgentResult.from_json(text)
    assert back.reason == "VerificationMismatch"
    assert back.mismatches[0].startswith("table public.t0")
    assert back.mismatches[-1].startswith("… and")


def test_the_result_file_holds_the_same_compact_json(tmp_path: Path) -> None:
    result = AgentResult(role="backup", outcome="succeeded", data_size=10, data_sha256="ab" * 32)
    text = write_result(result, tmp_path / "termination-log")
    assert (tmp_path / "termination-log").read_text() == text
    assert "\n" not in text
    assert '"dataSha256"' in text


def test_an_unwritable_result_file_does_not_fail_the_run(tmp_path: Path) -> None:
    result = AgentResult(role="backup", outcome="succeeded")
    assert write_result(result, tmp_path / "missing" / "termination-log").startswith("{")


def test_what_equivalence_compared_round_trips_and_older_results_still_parse() -> None:
    why = "the dump tools changed since the backup (pg_dump), and a hash is of the tool's output"
    result = AgentResult(
        role="verify",
        outcome="succeeded",
        level_reached="equivalence",
        equivalence=EquivalenceMethod.ROW_COUNTS,
        equivalence_reason=why + " " + "x" * 2000,
    )
    text = result.to_compact_json()
    assert '"equivalence":"rowCounts"' in text
    back = AgentResult.from_json(text)
    assert back.equivalence is EquivalenceMethod.ROW_COUNTS
    assert back.equivalence_reason is not None
    assert back.equivalence_reason.startswith(why)
    assert len(back.equivalence_reason) <= 300
    older = AgentResult.from_json(
        '{"role":"verify","outcome":"succeeded","levelReached":"equivalence"}'
    )
    assert older.equivalence is None
    assert older.equivalence_reason is None
