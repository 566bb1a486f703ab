"""Process hygiene for `verifier run --workers N`, tested with real signals.

SIGINT and SIGTERM sent to the parent alone (as a CI runner's cancel does) must end the
whole run: the parent exits 130 / 143, and the fork server, the workers and every other
process it started are gone soon after, with the baseline untouched.  So must a SIGKILL
of the parent, which runs no cleanup at all: the workers watch it.

The bounds below are generous hang detectors, not speed claims: before the fix the parent
took 120 s to exit after SIGINT, and the workers ran on for minutes after SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HANG = 90.0  # seconds: far beyond a prompt exit, far below the old behaviour

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir() or sys.platform != "linux",
                                reason="reads the process tree from /proc")


def _children(pid: int) -> set[int]:
    out = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may hold spaces and parentheses: split after the last ')'
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            out.add(int(entry.name))
    return out


def _descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        for child in _children(todo.pop()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_until(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def _start_run(tmp_path: Path) -> tuple[subprocess.Popen, Path, bytes]:
    baseline = tmp_path / "baseline.json"
    baseline.write_bytes((ROOT / "ci" / "baseline.json").read_bytes())
    before = baseline.read_bytes()
    process = subprocess.Popen(
        [sys.executable, "-m", "verifier", "run", "--workers", "2", "--no-progress", "-qq",
         "--backend", "engine", "--backend", "sympy", "--baseline", str(baseline), "--update-baseline"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Wait until the pool runs: the fork server and at least two workers under it.
    started = _wait_until(lambda: len(_descendants(process.pid)) >= 3 or process.poll() is not None, HANG)
    if not started or process.poll() is not None:
        process.kill()
        pytest.fail(f"the worker pool never started: {process.communicate()}")
    return process, baseline, before


@pytest.mark.parametrize("signum, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_to_the_parent_ends_every_process_of_the_run(tmp_path, signum, status):
    process, baseline, before = _start_run(tmp_path)
    time.sleep(1.0)  # let the workers get into their chunks
    family = _descendants(process.pid)
    process.send_signal(signum)
    try:
        process.wait(timeout=HANG)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(f"the parent did not exit within {HANG} s of signal {signum}")
    stderr = process.stderr.read().decode()
    assert process.returncode == status, stderr
    assert _wait_until(lambda: not any(_running(p) for p in family), HANG), \
        f"still running after the parent exited: {[p for p in family if _running(p)]}"
    assert baseline.read_bytes() == before
    assert not list(tmp_path.glob(".baseline.json.*")), "a temporary file was left beside the baseline"
    assert "Traceback" not in stderr


def test_workers_end_when_the_parent_is_killed_outright(tmp_path):
    process, baseline, before = _start_run(tmp_path)
    family = _descendants(process.pid)
    process.kill()  # SIGKILL: no handler, no cleanup in the parent
    process.wait()
    assert _wait_until(lambda: not any(_running(p) for p in family), HANG), \
        f"orphans still running: {[p for p in family if _running(p)]}"
    assert baseline.read_bytes() == before


def test_the_fork_server_and_its_workers_form_one_process_group(tmp_path):
    process, _, _ = _start_run(tmp_path)
    try:
        servers = [c for c in _children(process.pid) if _children(c)]
        assert len(servers) == 1, "expected one fork server with workers under it"
        server = servers[0]
        group = {os.getpgid(p) for p in _descendants(server) | {server}}
        assert group == {server} and server != os.getpgid(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=HANG)
