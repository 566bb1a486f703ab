"""The pytest plugin: case files as pytest tests, one item per case x backend x dtype.

Registered through the `pytest11` entry point (`verifier`), so installing the
package is enough; `-p no:verifier` turns it off. It follows pytest's own
non-python-tests example (`pytest_collect_file` -> a `File` that yields `Item`s).

What is collected (never every YAML file of a repository):
  * a `*.yaml` / `*.yml` file named on the command line: `pytest cases/seed.yaml`;
  * a `*.yaml` / `*.yml` file under a folder of the `verifier_paths` ini option, when pytest
    walks it (the folder must also be among the paths pytest visits: the command line,
    or `testpaths`):

        [tool.pytest.ini_options]
        testpaths = ["tests", "cases"]
        verifier_paths = ["cases"]

Item ids read `seed.yaml::mean_of_affine_square[engine-float32]`; `-k engine`,
`-k float32`, `-k NAME` and `-k TAG` select rows. A case runs once per session
(the first of its items runs it; the others read the cached verdicts). Under
pytest-xdist (`-n N`, with the default `--dist load` or `--dist loadgroup`) the
plugin's scheduler sends all rows of a case to one worker (xdist_scheduling.py), so
each case still runs once.

Outcomes: pass -> passed; fail, error -> failed, with the case, its claims, the exact
value, every backend's number and the errors; skip -> skipped; xfail -> xfailed;
xpass -> XPASS, which is not a failure (as `verifier run`, where xpass does not fail
the run) unless the ini option `xfail_strict = true` makes it one.
An invalid case file is a collection error listing each `FILE:LINE: case NAME: problem`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from verifier.float_formats import RUN_DTYPES
from verifier.pytest_plugin.items import CaseFile, RunCache, run_cache_key

CASE_SUFFIXES = (".yaml", ".yml")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("verifier_paths", type="paths", default=[],
                  help="folders whose case files (*.yaml, *.yml) the verifier plugin collects "
                       "(relative to the ini file); files named on the command line are "
                       "collected too")
    group = parser.getgroup("verifier", "verifier case files")
    group.addoption("--verifier-backend", action="append", dest="verifier_backends",
                    metavar="NAME", help="collect only this backend's rows (repeatable): engine, "
                                         "engine-fwd, torch, torch-fwd, torch-func, torch-vmap, "
                                         "torch-compile, torch-cuda, sympy, fd")
    group.addoption("--verifier-dtype", action="append", dest="verifier_dtypes",
                    choices=RUN_DTYPES,
                    help="collect numeric backends' rows only at this dtype (repeatable)")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[run_cache_key] = RunCache()
    if config.option.verifier_backends:
        from verifier.backends.available import all_backends
        from verifier.runner import select_backends

        try:
            select_backends(all_backends(), config.option.verifier_backends)
        except ValueError as exc:
            raise pytest.UsageError(f"--verifier-backend: {exc}") from None


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, where it is installed
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    from verifier.pytest_plugin.xdist_scheduling import make_scheduler
    return make_scheduler(config, log)


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path.suffix not in CASE_SUFFIXES:
        return None
    if parent.session.isinitpath(file_path) or _under_configured_folder(file_path, parent.config):
        return CaseFile.from_parent(parent, path=file_path)
    return None


def _under_configured_folder(path: Path, config: pytest.Config) -> bool:
    folders = config.getini("verifier_paths")
    resolved = path.resolve()
    return any(resolved.is_relative_to(Path(folder).resolve()) for folder in folders)
