"""``strongroom agent backup|verify|restore --job FILE``: the program inside Job pods.

Exit codes: 0 success; 1 failure with a result written (result file and last stdout line);
2 the job file is missing or invalid. Logs are JSON lines on stderr, one per step.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

_ROLES = ("backup", "verify", "restore")
EXIT_OK, EXIT_FAILED, EXIT_BAD_CONFIG = 0, 1, 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``strongroom agent``."""
    parser = subparsers.add_parser(
        "agent",
        help="run a backup, verification or restore inside a Job pod",
        description="The in-pod agent. Reads a job file written by the operator.",
    )
    roles = parser.add_subparsers(dest="role", metavar="ROLE", required=True)
    for role in _ROLES:
        sub = roles.add_parser(role, help=f"{role} one backup as the job file describes")
        sub.add_argument(
            "--job", required=True, type=Path, help="path of the job file (JSON, AgentJob)"
        )
        sub.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run the agent role named on the command line; returns the exit code."""
    from strongroom.agent import logs  # noqa: PLC0415 - keep `strongroom --help` fast
    from strongroom.agent.config import load_job  # noqa: PLC0415
    from strongroom.agent.report import AgentResult, write_result  # noqa: PLC0415
    from strongroom.errors import ConfigError, StrongroomError  # noqa: PLC0415

    logs.configure()
    role: str = args.role
    try:
        job = load_job(args.job)
    except ConfigError as exc:
        return _bad_config(role, exc.reason, str(exc))
    if job.role.value != role:
        return _bad_config(
            role, "InvalidConfiguration", f"job file {args.job} is for {job.role.value}, not {role}"
        )

    logs.step("start", f"agent {role} started", backup=job.identity.backup)
    try:
        result = _runner(role)(job)
    except StrongroomError as exc:
        logs.failure(role, f"{role} failed", reason=exc.reason, error=str(exc))
        result = AgentResult(
            role=job.role.value, outcome="failed", reason=exc.reason, message=str(exc)
        )
    except Exception as exc:  # noqa: BLE001 - the result must be written whatever happened
        # Only the type: an unexpected exception's text is not ours and could quote anything.
        logs.failure(role, f"{role} failed unexpectedly", error=type(exc).__name__)
        result = AgentResult(
            role=job.role.value,
            outcome="failed",
            reason="InternalError",
            message=f"unexpected {type(exc).__name__}; see the agent log",
        )
    text = write_result(result, job.result_file)
    logs.step("result", f"agent {role} {result.outcome}", reason=result.reason)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
    return EXIT_OK if result.outcome == "succeeded" else EXIT_FAILED


def _bad_config(role: str, reason: str, message: str) -> int:
    from strongroom.agent import logs  # noqa: PLC0415

    logs.failure("config", "job file rejected", reason=reason, error=message)
    line = {"role": role, "outcome": "failed", "reason": reason, "message": message}
    sys.stdout.write(json.dumps(line) + "\n")
    return EXIT_BAD_CONFIG


def _runner(role: str):  # type: ignore[no-untyped-def]  # noqa: ANN202 - imports are lazy
    if role == "backup":
        from strongroom.agent.backup import run_backup  # noqa: PLC0415

        return run_backup
    if role == "verify":
        from strongroom.agent.verify import run_verify  # noqa: PLC0415

        return run_verify
    from strongroom.agent.restore import run_restore  # noqa: PLC0415

    return run_restore
