"""The benchmark report: rows of repeated measurements, rendered into docs/benchmarks.md.

Each row is the median of the runs with min and max, a ratio against its baseline measured in
the same session, and, where the project set one, the target and whether it was met. A missed
target is written as missed, with the likely cause the benchmark found; numbers are never
tuned to meet a target.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tests.bench.machine import Machine
from tests.bench.measure import Series
from tests.bench.settings import BenchSettings

from strongroom.agent.pipeline import ZSTD_HASH_LOG, ZSTD_LEVEL

MiB = 1024 * 1024
#: How the figures were taken and what they do not say; rendered under "Method".
METHOD = (
    (
        "Every contender runs as a child process and is timed from start to exit (wall clock), "
        "so process start-up counts on both sides. The runs of the things compared are "
        "interleaved (dump, naive pipeline, Strongroom null sink, Strongroom S3, endpoint alone; "
        "then restore, verify), so load from other work hits them alike."
    ),
    (
        "Strongroom's backup is the real agent code (`strongroom.agent.backup.run_backup`: engine "
        f"dump with dump-time fingerprints, zstd level {ZSTD_LEVEL} with a 2^{ZSTD_HASH_LOG} "
        "hash table in one frame per MiB, Tink AES256_GCM_HKDF_1MB encryption, sha256, "
        "multipart part buffering). The null sink discards the parts; the S3 sink is "
        "`strongroom agent backup` against a local moto server over HTTP."
    ),
    (
        "moto is a Python S3 emulator holding objects in memory: its figures show the client side "
        "of the upload path, not what a real S3 endpoint or network would do."
    ),
    (
        "Baselines use the engine's own dump flags (`pg_dump -Fc -Z0`; `mariadb-dump "
        "--single-transaction --quick …`), the password in a file as the engines pass it. The "
        "naive PostgreSQL pipeline is plain `pg_dump` (SQL text), as such scripts are usually "
        "written."
    ),
    (
        "Sizes: the native dump written to a file once, `zstd -3 -T1` of that file, and the "
        "Strongroom data object (zstd + encryption framing) of a backup of the same database."
    ),
    (
        "Verification is `strongroom agent verify` at level equivalence: the integrity pass over "
        "the whole object, the restore into a scratch database (the observed RTO) and the "
        "fingerprint comparison. Its baseline is the native restore of the native dump file into "
        "an empty database with the flags the engine uses."
    ),
    (
        "Rows marked diagnostic are not a Strongroom feature: they take a part away or time it "
        "alone, to show where the time goes."
    ),
)


@dataclass(frozen=True)
class Target:
    """A bound: ``at_most`` (≤) or, when ``False``, at least (≥).

    With ``unit`` ``"x"`` it bounds the row's ratio; otherwise the row's median itself.
    """

    value: float
    at_most: bool = True
    unit: str = "x"

    def met(self, measured: float) -> bool:
        """Whether ``measured`` satisfies the bound."""
        return measured <= self.value if self.at_most else measured >= self.value

    def __str__(self) -> str:
        unit = "x" if self.unit == "x" else f" {self.unit}"
        return f"{'≤' if self.at_most else '≥'} {self.value:g}{unit}"


@dataclass
class Row:
    """One measured quantity; ``ratio`` is its median over ``ratio_of``'s median."""

    label: str
    short: str = ""
    series: Series = field(default_factory=Series)
    unit: str = "s"
    ratio_of: Row | None = None
    target: Target | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """Median against the baseline row's median."""
        if self.ratio_of is None or not self.series or not self.ratio_of.series:
            return None
        theirs = self.ratio_of.series.median
        return self.series.median / theirs if theirs else None

    @property
    def checked(self) -> float | None:
        """What the target bounds: the ratio, or the median for an absolute target."""
        if self.target is None or not self.series:
            return None
        if self.target.unit == "x":
            return self.ratio
        return self.series.median / MiB if self.unit == "bytes" else self.series.median

    @property
    def met(self) -> bool | None:
        """Whether the target holds; ``None`` without a target or a measurement."""
        checked = self.checked
        return None if self.target is None or checked is None else self.target.met(checked)


@dataclass
class Section:
    """All figures of one engine (or one topic) in the report."""

    title: str
    facts: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)

    def add(self, row: Row) -> Row:
        """Append ``row`` and return it (to use as a baseline for later rows)."""
        self.rows.append(row)
        return row


@dataclass
class Report:
    """Everything one benchmark session found."""

    settings: BenchSettings
    machine: Machine
    started: datetime
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float] | None = None
    sections: list[Section] = field(default_factory=list)
    memory: Section | None = None
    notes: list[str] = field(default_factory=list)
    profile: str = ""

    def section(self, title: str) -> Section:
        """A new section, in the order asked for."""
        found = Section(title)
        self.sections.append(found)
        return found


def _value(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "MiB":
        return f"{value:.1f} MiB"
    if unit == "cores":
        return f"{value:.2f}"
    if unit == "bytes":
        return f"{value / MiB:,.1f} MiB"
    return f"{value:g} {unit}"


def _cell(text: str) -> str:
    """Table cell text: a pipe inside a command must not end the cell."""
    return text.replace("|", "\\|")


def _met(row: Row) -> str:
    if row.met is None:
        return "—"
    return "yes" if row.met else "**NO — missed**"


def render_rows(rows: list[Row]) -> list[str]:
    """A Markdown table of ``rows``."""
    lines = [
        "| Measurement | Median | Min | Max | Ratio | Target | Met |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        if not row.series:
            lines.append(f"| {_cell(row.label)} | not measured | | | | | |")
            continue
        ratio = row.ratio
        ratio_text = "—"
        if ratio is not None and row.ratio_of is not None:
            ratio_text = f"{ratio:.2f}x {row.ratio_of.short or row.ratio_of.label}"
        label = _cell(row.label + (f" — {row.note}" if row.note else ""))
        lines.append(
            f"| {label} "
            f"| {_value(row.series.median, row.unit)} | {_value(row.series.low, row.unit)} "
            f"| {_value(row.series.high, row.unit)} | {ratio_text} "
            f"| {row.target or '—'} | {_met(row)} |"
        )
    return lines


def _load(load: tuple[float, float, float] | None) -> str:
    return "not recorded" if load is None else " / ".join(f"{x:.2f}" for x in load)


def render(report: Report) -> str:
    """The whole document."""
    s, m = report.settings, report.machine
    out = [
        "# Benchmarks",
        "",
        "<!-- Generated by `make bench` (tests/bench); edit the harness, not this file. -->",
        "",
        (
            f"Measured on {report.started:%Y-%m-%d %H:%M} UTC by `make bench` with "
            f"`STRONGROOM_BENCH_SIZE={s.size}`, `STRONGROOM_BENCH_RUNS={s.runs}`, "
            f"`STRONGROOM_BENCH_LARGE={'1' if s.large else '0'}`. Each figure is the median of "
            f"{s.runs} run(s), with min and max; ratios compare medians measured in this same "
            "session, runs of the things compared being interleaved."
        ),
        "",
        "## Machine",
        "",
        f"- CPU: {m.cpu}, {m.cores} cores; memory {m.memory_gib:.1f} GiB; Linux {m.kernel}",
        (
            f"- Load average (1/5/15 min) before: {_load(report.load_before)}; "
            f"after: {_load(report.load_after)}"
        ),
    ]
    out += [f"- {note}" for note in report.notes]
    out += ["", "| Component | Version |", "|---|---|"]
    out += [f"| {name} | {version} |" for name, version in m.versions.items()]
    out += ["", "## Method", ""]
    out += [f"- {line}" for line in METHOD]
    summary = [
        (section.title, row)
        for section in [*report.sections, *([report.memory] if report.memory else [])]
        for row in section.rows
        if row.target is not None
    ]
    if summary:
        out += [
            "",
            "## Targets at a glance",
            "",
            "| Where | Measurement | Measured | Target | Met |",
            "|---|---|---:|---|---|",
        ]
        for title, row in summary:
            checked = row.checked
            if checked is None:
                shown = "not measured"
            elif row.target is not None and row.target.unit == "x":
                shown = f"{checked:.2f}x"
            else:
                shown = f"{checked:.1f} {row.target.unit if row.target else ''}"
            out.append(
                f"| {_cell(title)} | {_cell(row.label)} | {shown} | {row.target} | {_met(row)} |"
            )
    for section in [*report.sections, *([report.memory] if report.memory else [])]:
        out += ["", f"## {section.title}", ""]
        out += [f"- {fact}" for fact in section.facts]
        if section.facts:
            out.append("")
        out += render_rows(section.rows)
        if section.findings:
            out += ["", "What the figures say:", ""]
            out += [f"- {finding}" for finding in section.findings]
        if section.commands:
            out += ["", "Commands measured:", "", "```"]
            out += section.commands
            out += ["```"]
    if report.profile:
        out += ["", "## Where the agent's time goes", "", report.profile.rstrip()]
    out += [
        "",
        "## How to reproduce",
        "",
        "```",
        "make bench                                   # 1 GB, 3 runs, writes this file",
        "STRONGROOM_BENCH_SIZE=50MB STRONGROOM_BENCH_RUNS=1 \\",
        "  STRONGROOM_BENCH_OUTPUT=/tmp/bench.md make bench   # a quick trial elsewhere",
        "STRONGROOM_BENCH_LARGE=1 make bench          # adds the 4 GB memory run",
        "```",
        "",
        (
            "Generated stores are cached in `~/.cache/strongroom/bench` "
            "(`STRONGROOM_BENCH_CACHE`), keyed by engine, size, seed and a digest of the "
            "generator, so only the first run pays for generation."
        ),
        "",
    ]
    return "\n".join(out)


#: This report's block in the shared file; other benchmarks own other marked blocks.
BEGIN, END = "<!-- backup:begin -->", "<!-- backup:end -->"
_OTHER_BLOCKS = re.compile(r"<!-- (\w+):begin -->.*?<!-- \1:end -->\n?", re.DOTALL)


def write_report(report: Report) -> Path:
    """Render ``report`` into its block of the output file (after each benchmark, and at the end).

    The file is shared with other benchmarks (the operator scale section): it is re-read just
    before writing, and every other marked block in it is kept, after ours.
    """
    path = report.settings.output
    path.parent.mkdir(parents=True, exist_ok=True)
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    others = [
        match.group(0).rstrip("\n")
        for match in _OTHER_BLOCKS.finditer(old)
        if match.group(1) != "backup"
    ]
    ours = f"{BEGIN}\n{render(report).rstrip()}\n{END}"
    path.write_text("\n\n".join([ours, *others]) + "\n", encoding="utf-8")
    return path


def now() -> datetime:
    """The report's timestamp."""
    return datetime.now(UTC)
