"""`verifier run`'s report files: their targets checked before the run, written after it.

A report target that can't be written (a folder, a read-only path, a FIFO or a
device) is a command-line error found before anything runs (exit 2), not a
traceback after an hour of running.  A write that still fails (the disk filled
up meanwhile) is one line on stderr and exit 2; the other report is still written.
"""

from __future__ import annotations


def _targets(args) -> list[tuple[str, str]]:
    out = [("--json", args.json), ("--junit-xml", args.junit_xml)]
    if getattr(args, "update_baseline", False) and getattr(args, "baseline", None):
        out.append(("--update-baseline", args.baseline))
    return [(option, path) for option, path in out if path is not None]


def report_targets_invalid(args, err) -> bool:
    """True, after one message per bad target, when a report could not be written."""
    from verifier.report.targets import target_problem

    bad = False
    for option, path in _targets(args):
        why = target_problem(path)
        if why is not None:
            print(f"verifier: error: {option} {path}: {why}", file=err)
            bad = True
    return bad


def write_reports(args, verdicts, summary, problems, seconds, err) -> bool:
    """Write --json and --junit-xml; False (after a message) when one could not be written."""
    ok = True
    if args.json:
        from verifier.report.json_report import write_json
        ok = _attempt("--json", args.json, err, write_json, args.json, verdicts, summary, problems,
                      seconds) and ok
    if args.junit_xml:
        from verifier.report.junit import write_junit
        ok = _attempt("--junit-xml", args.junit_xml, err, write_junit, args.junit_xml, verdicts, problems,
                      seconds) and ok
    return ok


def _attempt(option: str, path: str, err, write, *arguments) -> bool:
    try:
        write(*arguments)
    except OSError as exc:
        print(f"verifier: error: {option} {path}: the report could not be written: "
              f"{exc.strerror or exc}", file=err)
        return False
    return True
