"""The mutation score and its report: survivors, killers, per bug class; text and JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from verifier.mutate.model import BUG_CLASSES


@dataclass
class MutantResult:
    id: str
    bug_class: str
    target: str
    description: str
    status: str  # 'killed', 'survived', 'unreached' or 'equivalent'
    killed_by: dict[str, str] = field(default_factory=dict)  # case -> how
    reached_by: list[str] = field(default_factory=list)  # the cases that ran it
    equivalent: str = ""

    @property
    def killer_hint(self) -> str:
        if self.status == "unreached":
            return f"no case runs the mutated rule of {self.target}; add one that does"
        if self.status != "survived":
            return ""
        hint = BUG_CLASSES[self.bug_class].killer
        return hint


@dataclass
class MutationReport:
    mutants: list[MutantResult]
    cases: int
    unusable_cases: list[str]  # the unmutated engine fails them: they cannot kill
    seconds: float
    workers: int

    @property
    def scored(self) -> list[MutantResult]:
        """Killed and survived mutants: what the score counts.  Equivalent ones change
        nothing; unreached ones change code that no selected case runs (a gap in what the
        cases use, listed separately, not in what they check)."""
        return [m for m in self.mutants if m.status in ("killed", "survived")]

    @property
    def killed(self) -> int:
        return sum(m.status == "killed" for m in self.mutants)

    @property
    def score(self) -> float:
        scored = self.scored
        return 100.0 * self.killed / len(scored) if scored else 100.0

    @property
    def score_with_unreached(self) -> float:
        """The score if unreached mutants counted as survivors (what the cases leave unrun)."""
        counted = [m for m in self.mutants if m.status != "equivalent"]
        return 100.0 * self.killed / len(counted) if counted else 100.0

    def by_class(self) -> dict[str, dict[str, int]]:
        table: dict[str, dict[str, int]] = {}
        for m in self.mutants:
            row = table.setdefault(m.bug_class, {"mutants": 0, "killed": 0, "survived": 0,
                                                 "unreached": 0, "equivalent": 0})
            row["mutants"] += 1
            row[m.status] += 1
        return dict(sorted(table.items()))


def build_report(mutants, case_results, seconds: float, workers: int) -> MutationReport:
    by_id = {m.id: MutantResult(m.id, m.bug_class, m.target, m.description,
                                "equivalent" if m.equivalent else "survived",
                                equivalent=m.equivalent) for m in mutants}
    unusable = []
    for r in case_results:
        if not getattr(r, "usable", False):
            unusable.append(getattr(r, "case", "?"))
            continue
        for mutant_id in r.reached:
            by_id[mutant_id].reached_by.append(r.case)
        for mutant_id, how in r.killed.items():
            by_id[mutant_id].killed_by[r.case] = how
    for m in by_id.values():
        if m.status == "equivalent":
            continue
        m.status = "killed" if m.killed_by else "survived" if m.reached_by else "unreached"
    return MutationReport(list(by_id.values()), len(case_results), unusable, seconds, workers)


def render_text(report: MutationReport, verbose: bool = False) -> str:
    lines = [f"{'bug class':<18} {'mutants':>7} {'killed':>7} {'survived':>8} {'unreached':>9} "
             f"{'equivalent':>10}"]
    for name, row in report.by_class().items():
        lines.append(f"{name:<18} {row['mutants']:>7} {row['killed']:>7} {row['survived']:>8} "
                     f"{row['unreached']:>9} {row['equivalent']:>10}")
    survivors = [m for m in report.mutants if m.status == "survived"]
    if survivors:
        lines += ["", f"survivors ({len(survivors)}):"]
        for m in survivors:
            lines.append(f"  {m.id}: {m.description}")
            lines.append(f"      reached by {len(m.reached_by)} case(s); kill it with: "
                         f"{m.killer_hint}")
    unreached = [m for m in report.mutants if m.status == "unreached"]
    if unreached:
        lines += ["", f"unreached, not scored ({len(unreached)}): no selected case runs their "
                  "rule: " + ", ".join(m.id for m in unreached)]
    if verbose:
        lines += ["", "killers:"]
        for m in report.mutants:
            if m.status == "killed":
                first = sorted(m.killed_by)[:3]
                more = len(m.killed_by) - len(first)
                lines.append(f"  {m.id}: {', '.join(first)}" + (f" (+{more})" if more else ""))
        equivalent = [m for m in report.mutants if m.status == "equivalent"]
        if equivalent:
            lines += ["", "equivalent (not scored):"]
            lines += [f"  {m.id}: {m.equivalent}" for m in equivalent]
    if report.unusable_cases:
        lines += ["", f"{len(report.unusable_cases)} case(s) fail unmutated and cannot kill: "
                  + ", ".join(report.unusable_cases[:10])]
    lines += ["", f"mutation score {report.score:.1f}% ({report.killed} of {len(report.scored)} "
              f"killed; {len(report.mutants) - len(report.scored)} equivalent or unreached, not "
              f"scored) over "
              f"{report.cases} case(s) in {report.seconds:.1f} s with {report.workers} worker(s)"]
    if unreached:
        lines.append(f"counting the {len(unreached)} unreached as survivors: "
                     f"{report.score_with_unreached:.1f}%")
    return "\n".join(lines)


def to_json(report: MutationReport) -> dict:
    return {
        "summary": {"score": round(report.score, 2),
                    "score_with_unreached": round(report.score_with_unreached, 2),
                    "killed": report.killed,
                    "scored": len(report.scored), "mutants": len(report.mutants),
                    "survived": sum(m.status == "survived" for m in report.mutants),
                    "unreached": sum(m.status == "unreached" for m in report.mutants),
                    "equivalent": sum(m.status == "equivalent" for m in report.mutants),
                    "cases": report.cases, "seconds": round(report.seconds, 2),
                    "workers": report.workers},
        "classes": report.by_class(),
        "mutants": [{"id": m.id, "class": m.bug_class, "target": m.target,
                     "description": m.description, "status": m.status,
                     "killed_by": sorted(m.killed_by), "reached_by": len(m.reached_by),
                     # how the first killer (by name) failed: the failing row's message
                     "how": m.killed_by[min(m.killed_by)][:300] if m.killed_by else "",
                     "kill_with": m.killer_hint, "equivalent": m.equivalent}
                    for m in report.mutants],
        "unusable_cases": report.unusable_cases,
    }


def write_json(path: str, report: MutationReport) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(to_json(report), f, indent=1)
        f.write("\n")
