"""Reading a baseline (`--baseline FILE`): an untrusted JSON report, checked field by field.

A baseline comes from the repository, and so from pull requests.  Whatever it holds
(a FIFO that never ends, /dev/zero, JSON nested ten thousand deep, a list where a case
name belongs) is one BaselineError that names the file and the row, never a hang, a
traceback or gigabytes of memory: the file must be a regular file of at most
MAX_BASELINE_BYTES, JSON too deep for the decoder is an error (never a crash), and
every field of every row must have the type the report writes.
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path

from verifier.limits import MAX_BASELINE_BYTES
from verifier.verdict import STATUSES, Verdict


class BaselineError(Exception):
    """The baseline file is missing or is not a JSON report."""


_TEXT_FIELDS = ("case", "backend", "dtype", "status")  # required, text: the row's key and status
_OPTIONAL_TEXT = ("file", "message", "blame")  # a row without `file` has file ''  (not in the key)
_NUMBERS = ("max_abs_err", "max_rel_err", "max_ulp_err", "seconds")  # a number or null


def read_baseline(path: str | os.PathLike) -> list[Verdict]:
    """The rows of a JSON report written by `--json` or `--update-baseline`."""
    path = Path(path)
    data = _parse(path, _read_text(path))
    rows = data.get("results") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise BaselineError(f"baseline {path}: expected a JSON report with a 'results' list, "
                            f"found {type(data).__name__}; write one with --json or --update-baseline")
    return [_row(path, i, row) for i, row in enumerate(rows)]


def _read_text(path: Path) -> str:
    """The file's text; only a regular file, only up to the size limit, never blocking."""
    try:
        # O_NONBLOCK: opening a FIFO for reading would wait for a writer forever.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise BaselineError(
            f"baseline {path} does not exist; create it with "
            f"`verifier run --baseline {path} --update-baseline`") from None
    except OSError as exc:
        raise BaselineError(f"baseline {path} cannot be opened: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a FIFO or a device)"
            raise BaselineError(f"baseline {path} is {kind}; expected a JSON report file")
        if info.st_size > MAX_BASELINE_BYTES:
            raise BaselineError(f"baseline {path} has {info.st_size} bytes, beyond the limit of "
                                f"{MAX_BASELINE_BYTES}")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(MAX_BASELINE_BYTES + 1)
    except OSError as exc:
        raise BaselineError(f"baseline {path} cannot be read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_BASELINE_BYTES:  # it grew while we read it
        raise BaselineError(f"baseline {path} is larger than the limit of {MAX_BASELINE_BYTES} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BaselineError(f"baseline {path} is not UTF-8 text: {exc}") from None


def _parse(path: Path, text: str):
    try:
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError:  # json's decoder counts its depth against the recursion limit
        raise BaselineError(f"baseline {path}: JSON nested too deeply (a report is nested 3 deep)") from None
    except ValueError as exc:
        raise BaselineError(f"baseline {path} is not readable JSON: {exc}") from None


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON (a report writes null for a non-finite number)")


def _row(path: Path, i: int, row) -> Verdict:
    where = f"baseline {path}: results[{i}]"
    if not isinstance(row, dict):
        raise BaselineError(f"{where} is {_kind(row)}; expected an object with case, backend, dtype "
                            "and status")
    missing = [k for k in _TEXT_FIELDS if k not in row]
    if missing:
        raise BaselineError(f"{where} lacks {', '.join(missing)}")
    for key in _TEXT_FIELDS + _OPTIONAL_TEXT:
        if key in row and not isinstance(row[key], str):
            raise BaselineError(f"{where}.{key} is {_kind(row[key])}; expected text")
    if row["status"] not in STATUSES:
        raise BaselineError(f"{where} has status {row['status']!r}; expected one of {', '.join(STATUSES)}")
    for key in _NUMBERS:
        value = row.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not math.isfinite(value)):
            raise BaselineError(f"{where}.{key} is {_kind(value)}; expected a number or null")
    if "diverged" in row and not isinstance(row["diverged"], bool):
        raise BaselineError(f"{where}.diverged is {_kind(row['diverged'])}; expected true or false")
    fields = {"file": ""} | {k: row[k] for k in _TEXT_FIELDS + _OPTIONAL_TEXT + _NUMBERS + ("diverged",)
                             if k in row}
    if fields.get("seconds") is None:
        fields.pop("seconds", None)
    return Verdict(**fields)


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    return {dict: "an object", list: "a list", int: "a number", float: "a number"}.get(type(value),
                                                                                       type(value).__name__)
