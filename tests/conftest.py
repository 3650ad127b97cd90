"""Shared fixtures: the stack files, the one mock engine, and config builders."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Builders a test module imports live in tests/helpers/; re-exported here for tests written before.
from offline.engine import Evaluation, run_program  # noqa: E402
from offline.stackfile import load_stack  # noqa: E402
from tests.helpers.stack import make_config, plan_cli, sandbox_token  # noqa: E402, F401


@pytest.fixture
def dev_config() -> dict[str, Any]:
    return dict(load_stack(ROOT, "dev").values)


@pytest.fixture(scope="session")
def dev_eval() -> Evaluation:
    return run_program(dict(load_stack(ROOT, "dev").values), "dev")


@pytest.fixture
def evaluate():
    def run(config: dict[str, Any], stack: str = "test", **kw: Any) -> Evaluation:
        return run_program(config, stack, **kw)

    return run


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/e2e/ drives make, git, Node.js or a browser: `slow`, so `make check`
    (`-m "not slow"`) leaves it out without each file having to say so."""
    e2e = ROOT / "tests" / "e2e"
    for item in items:
        if e2e in item.path.parents:
            item.add_marker(pytest.mark.slow)
    # The browser tests last: `make test` installs chromium while the others run (tests/helpers/browser.py).
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
