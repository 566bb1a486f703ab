"""Writing report files atomically: a reader never sees half a report."""

from __future__ import annotations

import os
import tempfile

from verifier.report.targets import check_target, resolved


def write_atomically(path: str | os.PathLike, text: str) -> None:
    """Write `text` to a temporary file beside `path`, then rename it over `path`.

    A symlink is written through (its target changes, the link stays); a folder, a
    FIFO or a device is refused (ReportTargetError), never replaced (report/targets.py).
    """
    check_target(path, "cannot write")
    target = resolved(path)
    if target.parent and not target.parent.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        # mkstemp creates the file 0600; a report gets the mode a plain open() would give.
        os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, target)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
