"""Whether the browser tests can run: Debian's chromium, which `make browser` installs.

`make test` runs that install beside pytest rather than before it (on a machine without chromium,
apt-get is a minute or more). While it runs, its stamp's `.pending` file holds the installing
shell's PID; a browser test waits for that process to end before it looks for chromium, and pytest
runs the browser tests last (tests/conftest.py), so the wait is usually over before they start."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.helpers.stack import ROOT
from verify.interactive import CHROMIUM

PENDING = ROOT / "venv" / ".browser.pending"
# apt-get's own worst case here is an `apt-get update` and a full install: minutes, not more.
WAIT_SECONDS = 600


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def installing(pending: Path = PENDING) -> bool:
    """Whether a `make browser` is installing chromium right now."""
    try:
        pid = int(pending.read_text().strip())
    except (OSError, ValueError):
        return False
    return _alive(pid)


def chromium_missing(
    pending: Path = PENDING, executable: str = CHROMIUM, wait_seconds: float = WAIT_SECONDS
) -> str | None:
    """None when chromium can run; otherwise why the browser tests skip. Waits for an install in
    progress first, at most `wait_seconds`."""
    deadline = time.monotonic() + wait_seconds
    while not os.access(executable, os.X_OK) and installing(pending):
        if time.monotonic() > deadline:
            return f"no {executable}: `make browser` was still installing it after {wait_seconds:g} s"
        time.sleep(0.5)
    if os.access(executable, os.X_OK):
        return None
    return f"no {executable}: `make browser` installs Debian's chromium where it can (root with apt-get)"
