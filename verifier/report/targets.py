"""Where a report goes: checked before the run, written through symlinks, never onto a device.

`--json`, `--junit-xml` and `--update-baseline` name files that CI configuration
chooses, so a mistake (a folder, a read-only path) must be found before an hour of
running, not after it, and a hostile or careless name must not replace what is
there: a symlink is written *through* (its target is updated, the link stays), and
a FIFO, a socket or a device node is refused (as root, `--json /dev/null` would
otherwise replace the system's /dev/null with a regular file).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


class ReportTargetError(OSError):
    """A report can't be written to this path; the message says why and what to do."""


def resolved(path: str | os.PathLike) -> Path:
    """The file a write to `path` must change: a symlink's final target (even a dangling
    one: writing creates it), the path itself otherwise."""
    return Path(os.path.realpath(os.fspath(path)))


def target_problem(path: str | os.PathLike) -> str | None:
    """Why a report can't be written to `path`, or None.  Nothing is created or changed."""
    if not os.fspath(path):
        return "the file name is empty"
    target = resolved(path)
    via = f" ({path} links to {target})" if os.fspath(target) != os.path.abspath(os.fspath(path)) else ""
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        return f"cannot examine it{via}: {exc.strerror or exc}"
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            return f"it is a folder{via}; name a file inside it, such as {Path(path) / 'report'}"
        for test, kind in _KINDS:
            if test(info.st_mode):
                return f"it is {kind}{via}, not a regular file; a report is only written to a file"
        if not os.access(target, os.W_OK):
            return f"the file is not writable{via}"
    folder = _existing_ancestor(target.parent)
    if not folder.is_dir():
        return f"{folder} is not a folder{via}"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the folder {folder} is not writable{via} (the report is written beside its target, " \
               "then renamed over it)"
    return None


def check_target(path: str | os.PathLike, option: str) -> None:
    """Raise ReportTargetError, naming the option, when `path` can't take a report."""
    why = target_problem(path)
    if why is not None:
        raise ReportTargetError(f"{option} {path}: {why}")


def _existing_ancestor(folder: Path) -> Path:
    """The folder itself, or its nearest ancestor that exists (write_atomically creates the rest)."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder
