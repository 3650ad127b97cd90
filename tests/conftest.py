"""Shared fixtures: the stack files, the one mock engine, and config builders."""

from __future__ import annotations

import os
import ssl
import sys
from collections.abc import Iterator
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


@pytest.fixture(scope="session", autouse=True)
def _one_ssl_context_per_trust() -> Iterator[None]:
    """Every httpx2 client builds an SSL context and reads the whole CA bundle into it (~30 ms of
    CPU; httpcore2/_ssl.py `default_ssl_context`), and the tests make hundreds of clients that only
    speak http to 127.0.0.1. One context per trust setting (the SSL_CERT_* variables it reads, and
    the file's mtime) is what each would have built; httpx2 only reads it unless given `cert=`."""
    import httpcore2

    real = httpcore2.default_ssl_context
    made: dict[tuple[object, ...], ssl.SSLContext] = {}

    def shared(*, _trust_env: bool = True) -> ssl.SSLContext:
        cafile, capath = os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
        mtime = os.stat(cafile).st_mtime_ns if cafile and os.path.isfile(cafile) else None
        key = (_trust_env, cafile, capath, mtime)
        if key not in made:
            made[key] = real(_trust_env=_trust_env)
        return made[key]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(httpcore2, "default_ssl_context", shared)
        yield


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/e2e/ drives make, git, Node.js or a browser: `slow` (another process
    or a server), so `make check` (`-m "not slow"`) leaves it out without each file saying so."""
    e2e = ROOT / "tests" / "e2e"
    for item in items:
        if e2e in item.path.parents:
            item.add_marker(pytest.mark.slow)
    # The browser tests last: `make test` installs chromium while the others run (tests/helpers/browser.py).
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
