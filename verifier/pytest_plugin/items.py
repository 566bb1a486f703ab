"""The collected nodes: `CaseFile` (one case file) and `CaseItem` (one case x backend x dtype)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from verifier.pytest_plugin.failure import describe_failure

EXACT = "exact"  # the oracle's dtype


class VerdictFailed(Exception):
    """A row whose verdict is fail or error."""

    def __init__(self, verdict, case_verdicts) -> None:
        super().__init__(verdict.message)
        self.verdict = verdict
        self.case_verdicts = case_verdicts


class ExpectedFailure(VerdictFailed):
    """A row whose verdict is xfail: pytest reports it as xfailed (see CaseItem.runtest)."""


@dataclass
class RunCache:
    """The verdicts of each case already run in this session (in this xdist worker)."""
    # (file, case name) -> {(backend, dtype): Verdict}, and the case's rows in order
    verdicts: dict = field(default_factory=dict)
    ordered: dict = field(default_factory=dict)
    # case name -> file where collected first (names are unique across a session)
    names: dict = field(default_factory=dict)


run_cache_key = pytest.StashKey[RunCache]()


def _backend_table():
    from verifier.backends.available import all_backends
    return all_backends()


class CaseFile(pytest.File):
    """A case file: its cases, validated by the loader; any problem is a collection error."""

    def collect(self):
        from verifier.cases.loader import load_paths

        result = load_paths([self._shown_path()])
        problems = [str(p) for p in result.problems]
        cache = self.config.stash[run_cache_key]
        for case in result.cases:
            first = cache.names.setdefault(case.name, f"{case.file}:{case.line}")
            if first != f"{case.file}:{case.line}":
                problems.append(f"{case.file}:{case.line}: case {case.name}: name: already used at "
                                f"{first}; case names are unique across a run, rename one")
        if problems:
            raise self.CollectError("\n".join(problems))
        options = self.config.option
        from verifier.runner import planned_rows

        table = _backend_table()
        # Unknown --verifier-backend names were refused in pytest_configure.
        rows = {case.name: planned_rows(case, table, options.verifier_backends,
                                        options.verifier_dtypes) for case in result.cases}
        with_xdist = self.config.pluginmanager.hasplugin("xdist")
        for case in result.cases:
            for backend, dtype in rows[case.name]:
                item = CaseItem.from_parent(self, name=f"{case.name}[{backend}-{dtype}]",
                                            case=case, backend=backend, dtype=dtype)
                if case.skip is not None and case.skip.covers(backend, dtype):
                    item.add_marker(pytest.mark.skip(reason=case.skip.reason))
                if with_xdist:
                    item.add_marker(pytest.mark.xdist_group(case.name))
                yield item


    def _shown_path(self) -> Path:
        """The path as problems and reports print it: relative to where pytest was started."""
        start = self.config.invocation_params.dir
        return self.path.relative_to(start) if self.path.is_relative_to(start) else self.path


class CaseItem(pytest.Item):
    """One row: a case on one backend at one dtype."""

    def __init__(self, *, case, backend: str, dtype: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.case, self.backend, self.dtype = case, backend, dtype
        # `-k TAG` selects a case by its tags, as `verifier run -k` does.
        self.extra_keyword_matches.update(case.tags)

    def runtest(self) -> None:
        verdicts = self._case_verdicts()
        verdict = verdicts.get((self.backend, self.dtype))
        if verdict is None:
            rows = ", ".join(f"{b}-{d}" for b, d in verdicts) or "none"
            raise RuntimeError(f"the runner returned no verdict for {self.backend}-{self.dtype} of "
                               f"case {self.case.name}; it returned: {rows}")
        for name, value in (("max_abs_err", verdict.max_abs_err),
                            ("max_rel_err", verdict.max_rel_err),
                            ("max_ulp_err", verdict.max_ulp_err)):
            if value is not None:
                self.user_properties.append((name, value))  # shows in --junitxml
        if verdict.status in ("fail", "error"):
            raise VerdictFailed(verdict, list(verdicts.values()))
        if verdict.status == "skip":
            pytest.skip(verdict.message or "skipped by the runner")
        if verdict.status in ("xfail", "xpass"):
            # Marked here, from the verdict, so pytest's own xfail logic decides: xfailed on
            # ExpectedFailure only, XPASS (or a failure under xfail_strict) when it passed.
            reason = self.case.xfail.reason if self.case.xfail else verdict.message
            self.add_marker(pytest.mark.xfail(reason=reason, raises=ExpectedFailure))
            if verdict.status == "xfail":
                raise ExpectedFailure(verdict, list(verdicts.values()))

    def _case_verdicts(self) -> dict:
        """This case's verdicts, running the case on first use (only the selected rows)."""
        cache = self.config.stash[run_cache_key]
        key = (str(self.path), self.case.name)
        if key not in cache.verdicts:
            from verifier.runner import run_case

            backends, dtypes = self._selected_rows()
            verdicts = run_case(self.case, backends, dtypes)
            cache.verdicts[key] = {(v.backend, v.dtype): v for v in verdicts}
        return cache.verdicts[key]

    def _selected_rows(self) -> tuple[list[str], list[str]]:
        """The backends and dtypes of this case's items left after -k / -m / deselection."""
        mine = [i for i in self.session.items
                if isinstance(i, CaseItem) and i.path == self.path and i.case.name == self.case.name]
        mine = mine or [self]
        backends = list(dict.fromkeys(i.backend for i in mine))
        dtypes = list(dict.fromkeys(i.dtype for i in mine if i.dtype != EXACT))
        return backends, dtypes

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, VerdictFailed):
            return describe_failure(self.case, excinfo.value.verdict, excinfo.value.case_verdicts)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, max(self.case.line - 1, 0), \
            f"case {self.case.name} [{self.backend}-{self.dtype}]"
