"""`make test` installs chromium beside pytest: the browser tests wait for that install, and only
for it (tests/helpers/browser.py), and run last."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.helpers.browser import chromium_missing, installing


def _executable(path: Path) -> str:
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return str(path)


def test_an_install_in_progress_is_waited_for_and_its_chromium_used(tmp_path: Path) -> None:
    installer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        pending = tmp_path / ".browser.pending"
        pending.write_text(f"{installer.pid}\n")
        chromium = tmp_path / "chromium"
        assert installing(pending)
        # The install lands 0.3 s from now: the check waits for it and finds chromium.
        threading.Timer(0.3, _executable, [chromium]).start()
        started = time.monotonic()
        assert chromium_missing(pending, str(chromium), wait_seconds=20) is None
        assert 0.25 < time.monotonic() - started < 15
    finally:
        installer.kill()
        installer.wait()


def test_no_install_running_is_not_waited_for(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pending = tmp_path / ".browser.pending"
    pending.write_text(done.stdout)  # the PID of a process that has ended: a killed `make browser`
    started = time.monotonic()
    reason = chromium_missing(pending, str(tmp_path / "chromium"), wait_seconds=20)
    assert time.monotonic() - started < 1
    assert reason is not None and "`make browser` installs Debian's chromium" in reason
    assert not installing(tmp_path / "absent") and not installing(_garbage(tmp_path))


def _garbage(tmp_path: Path) -> Path:
    p = tmp_path / "garbage"
    p.write_text("not a pid")
    return p


def test_an_install_that_outlasts_the_wait_skips_saying_so(tmp_path: Path) -> None:
    installer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        pending = tmp_path / ".browser.pending"
        pending.write_text(str(installer.pid))
        reason = chromium_missing(pending, str(tmp_path / "chromium"), wait_seconds=0.3)
        assert reason is not None and "still installing it after 0.3 s" in reason
    finally:
        installer.kill()
        installer.wait()


def test_the_browser_tests_are_collected_last() -> None:
    from tests import conftest

    class Item:
        def __init__(self, path: Path, browser: bool) -> None:
            self.path, self.markers = path, {"browser"} if browser else set()

        def get_closest_marker(self, name: str) -> object | None:
            return name if name in self.markers else None

        def add_marker(self, marker: pytest.MarkDecorator) -> None:
            self.markers.add(marker.name)

    e2e, rules = conftest.ROOT / "tests" / "e2e", conftest.ROOT / "tests" / "rules"
    items = [Item(e2e / "test_browser.py", True), Item(rules / "t.py", False), Item(e2e / "test_x.py", False)]
    conftest.pytest_collection_modifyitems(items)  # type: ignore[arg-type]
    assert [(i.path.name, sorted(i.markers)) for i in items] == [
        ("t.py", []),
        ("test_x.py", ["slow"]),
        ("test_browser.py", ["browser", "slow"]),
    ]
