"""Under pytest-xdist, every row of a case goes to the worker that runs the case.

A case runs once per process (the first of its rows runs it; the others read the cached
verdicts), so its rows must not be spread over workers: each worker that draws one of them
would run the whole case again.  pytest-xdist's own grouping (`--dist loadgroup` with the
`xdist_group` mark) stopped working with pytest 9.2: xdist 3.8 groups by rewriting
`item._nodeid`, which pytest 9.2 no longer reads.  So the plugin brings its own scheduler,
xdist's scope scheduler with one scope per case, and uses it for `--dist load` (the default
of `-n N`) and `--dist loadgroup` whenever the session collects case files.  Other tests keep
a scope of their own each (as under `load`), or their `@group` under `loadgroup` where
pytest still shows it; `--dist loadscope`, `loadfile`, `worksteal` and `each` are left alone.
"""

from __future__ import annotations

from pathlib import Path

CASE_SUFFIXES = (".yaml", ".yml")
TAKEN_OVER = ("load", "loadgroup")


def case_scope(nodeid: str) -> str:
    """The unit of work of a test id: `FILE::CASE` for a row `FILE::CASE[backend-dtype]`,
    the `@group` of a loadgroup id, else the test itself."""
    bare, _, group = nodeid.partition("@")
    path, sep, rest = bare.partition("::")
    if sep and Path(path).suffix in CASE_SUFFIXES:
        return f"{path}::{rest.split('[', 1)[0]}"
    return group or nodeid


def collects_case_files(config) -> bool:
    """Does this session collect case files (named on the command line, or under the
    `verifier_paths` ini option)?"""
    if config.getini("verifier_paths"):
        return True
    return any(Path(str(arg).split("::", 1)[0]).suffix in CASE_SUFFIXES for arg in config.args)


def schedules_by_case(config) -> bool:
    """Is the session's --dist one the plugin takes over, with case files to collect?"""
    return config.getvalue("dist") in TAKEN_OVER and collects_case_files(config)


def make_scheduler(config, log):
    """The scheduler for `pytest_xdist_make_scheduler`, or None to leave xdist's own."""
    if not schedules_by_case(config):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class CaseScheduling(LoadScopeScheduling):
        """xdist's scope scheduler, with one scope per case."""

        def _split_scope(self, nodeid: str) -> str:
            return case_scope(nodeid)

    return CaseScheduling(config, log)
