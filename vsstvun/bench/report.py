"""Results of a run and their two renderings: a markdown table for people, JSON for tools.

Each section returns a dataclass that knows its own table rows; this module only lays them
out, so adding a measurement never touches the renderer.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from .. import __version__
from .memory import PeakMemory


class Section(Protocol):
    title: str

    def rows(self) -> list[tuple[str, str]]: ...


@dataclass(frozen=True)
class Skipped:
    """A section that could not run here, with the reason shown in place of its numbers."""

    title: str
    note: str

    def rows(self) -> list[tuple[str, str]]:
        return [("skipped", self.note)]


@dataclass
class RunResult:
    title: str
    config: dict[str, Any]
    env: dict[str, Any]
    notes: list[str]
    sections: dict[str, Section] = field(default_factory=dict)

    HEADER: ClassVar[tuple[str, str]] = ("| section | measure | value |", "|---|---|---|")

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "config": self.config,
            "env": self.env,
            "notes": self.notes,
            "sections": {
                key: {"skipped": isinstance(s, Skipped), **dataclasses.asdict(s)}  # type: ignore[call-overload]
                for key, s in self.sections.items()
            },
        }

    def markdown(self) -> str:
        lines = [f"### {self.title}", "", *(f"- {note}" for note in self.notes), "", *self.HEADER]
        lines += [f"| {s.title} | {measure} | {value} |" for s in self.sections.values() for measure, value in s.rows()]
        return "\n".join(lines) + "\n"


def markdown(runs: list[RunResult]) -> str:
    return "\n".join(run.markdown() for run in runs)


def write_json(runs: list[RunResult], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"vsstvun": __version__, "runs": [r.to_json() for r in runs]}, indent=2) + "\n")


def ms(value: float) -> str:
    """Milliseconds with enough digits for both CPU seconds and GPU microseconds."""
    return f"{value:.1f} ms" if value >= 1 else f"{value:.3f} ms"


def per_frame(ms_per_frame: float) -> str:
    return f"{ms(ms_per_frame)}/frame ({1000 / ms_per_frame:.3g} fps)"


def memory(peak: PeakMemory) -> str:
    lifetime = "" if peak.reset else ", process lifetime peak"
    return f"{peak.peak_mib:.0f} MiB peak, +{peak.delta_mib:.0f} MiB during the run ({peak.source}{lifetime})"
