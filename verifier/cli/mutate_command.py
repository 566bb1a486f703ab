"""`verifier mutate [PATH ...]`: plant each catalogued bug in the engine, run the cases,
report the mutation score, the survivors (and what would kill them) and the killers."""

from __future__ import annotations

import fnmatch
import sys
import time

from verifier.cli.common import EXIT_FAILED, EXIT_INVALID, EXIT_OK, add_keyword, add_paths, load
from verifier.cli.selection import SelectionError, select_cases


def _percent(text: str) -> float:
    import argparse
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"expected a percentage from 0 to 100, got {text!r}")
    return value


def add_arguments(parser) -> None:
    from verifier.gate.options import _worker_count
    from verifier.parallel import default_workers

    add_paths(parser)
    add_keyword(parser)
    parser.add_argument("--dtype", action="append", choices=("float64", "float32"),
                        help="run the engine only at this dtype (repeatable)")
    parser.add_argument("--workers", type=_worker_count, default=None, metavar="N",
                        help=f"cases in N processes (default: the CPU count, {default_workers()} "
                             "here; 1: in this process)")
    parser.add_argument("--class", dest="classes", action="append", metavar="NAME",
                        help="only mutants of this bug class (repeatable); see --list")
    parser.add_argument("--only", action="append", metavar="PATTERN",
                        help="only mutants whose id matches this shell pattern (repeatable), "
                             "e.g. 'sign_flip:mul:*'")
    parser.add_argument("--mutants", metavar="FILE",
                        help="only the mutants whose ids FILE lists, one per line (# comments); "
                             "a fixed sample that mutants of new ops do not shift")
    parser.add_argument("--sample", type=int, metavar="N",
                        help="a fixed subset of N mutants spread over the bug classes")
    parser.add_argument("--min-score", type=_percent, metavar="PCT",
                        help="exit 1 when the mutation score is below PCT")
    parser.add_argument("--json", metavar="FILE", help="write the JSON report to FILE")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="S",
                        help="time limit of one case on one mutant in seconds (default 60)")
    parser.add_argument("--list", action="store_true",
                        help="print the catalogue (id, bug class, what it plants) and exit")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="also list the killers of each mutant and the equivalent mutants")


def read_ids(path: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        lines = [line.split("#", 1)[0].strip() for line in f]
    return [line for line in lines if line]


def select_mutants(mutants, args) -> list:
    chosen = list(mutants)
    if args.mutants:
        wanted = set(read_ids(args.mutants))
        chosen = [m for m in chosen if m.id in wanted]
    if args.classes:
        chosen = [m for m in chosen if m.bug_class in args.classes]
    if args.only:
        chosen = [m for m in chosen if any(fnmatch.fnmatchcase(m.id, p) for p in args.only)]
    if args.sample is not None:
        from verifier.mutate.catalogue import sample
        chosen = sample(chosen, args.sample)
    return chosen


def execute(args) -> int:
    out, err = sys.stdout, sys.stderr
    started = time.perf_counter()
    from verifier.mutate.catalogue import catalogue
    from verifier.mutate.model import BUG_CLASSES

    unknown = sorted(set(args.classes or ()) - set(BUG_CLASSES))
    if unknown:
        print(f"verifier: error: --class: unknown bug class {', '.join(unknown)}; expected one "
              f"of: {', '.join(BUG_CLASSES)}", file=err)
        return EXIT_INVALID
    if args.mutants:
        try:
            missing = sorted(set(read_ids(args.mutants)) - {m.id for m in catalogue()})
        except OSError as exc:
            print(f"verifier: error: --mutants: cannot read {args.mutants}: {exc}", file=err)
            return EXIT_INVALID
        if missing:
            print(f"verifier: error: --mutants: {args.mutants} names mutants the catalogue does "
                  f"not have: {', '.join(missing)}; see verifier mutate --list", file=err)
            return EXIT_INVALID
    mutants = select_mutants(catalogue(), args)
    if args.list:
        for m in mutants:
            note = f"  [equivalent: {m.equivalent}]" if m.equivalent else ""
            print(f"{m.id:<42} {m.bug_class:<18} {m.description}{note}", file=out)
        return EXIT_OK
    if not [m for m in mutants if not m.equivalent]:
        print("verifier: error: no mutant selected; see verifier mutate --list", file=err)
        return EXIT_INVALID
    from verifier.parallel import default_workers, prestart
    workers = args.workers or default_workers()
    prestart(workers)
    loaded = load(args.paths)
    if loaded.problems:
        from verifier.cli.common import print_problems
        print_problems(loaded.problems, err)
        return EXIT_INVALID
    try:
        cases = select_cases(loaded.cases, args.keyword)
    except SelectionError as exc:
        print(f"verifier: error: {exc}", file=err)
        return EXIT_INVALID
    if not cases:
        print("verifier: error: no case selected", file=err)
        return EXIT_INVALID

    from verifier.mutate.report import build_report, render_text, write_json
    from verifier.mutate.run import MutationPlan, mutate_case
    from verifier.parallel import run_cases_parallel

    plan = MutationPlan(tuple(m.id for m in mutants if not m.equivalent))
    results = run_cases_parallel(cases, None, args.dtype, workers, timeout=args.timeout,
                                 run_case=mutate_case, toolkit=plan)
    report = build_report(mutants, results, time.perf_counter() - started, workers)
    print(render_text(report, verbose=args.verbose > 0), file=out)
    if args.json:
        write_json(args.json, report)
    if args.min_score is not None and report.score < args.min_score:
        print(f"verifier: mutation score {report.score:.1f}% is below --min-score "
              f"{args.min_score:g}%", file=err)
        return EXIT_FAILED
    return EXIT_OK
