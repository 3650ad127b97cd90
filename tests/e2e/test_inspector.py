"""A client nobody here wrote: MCP Inspector's CLI lists the tools through the sandbox gateway with
the token as a bearer header, and is refused without it."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from offline.plan import make_plan
from sandbox.sandbox import Sandbox, spec_from_plan
from tests.helpers.stack import ROOT, sandbox_token

CLI = (
    ROOT / "tests" / "inspector" / "node_modules" / "@modelcontextprotocol" / "inspector" / "cli" / "build" / "index.js"
)


# `make pytest` and `make test` install the Inspector first (npm ci in tests/inspector); a bare
# pytest run without it skips these two, saying how to get them.
pytestmark = [
    pytest.mark.slow,  # Node, and a sandbox on 127.0.0.1
    pytest.mark.skipif(shutil.which("node") is None, reason="no node on PATH: the Inspector's CLI runs under Node.js"),
    pytest.mark.skipif(
        not CLI.exists(),
        reason="MCP Inspector is not installed: `make pytest` installs it (npm ci in tests/inspector)",
    ),
]


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[Any, str]]:
    spec = spec_from_plan(make_plan("dev"))
    with Sandbox(spec):
        yield spec.outputs["gateways"]["tools"]["resourceUrl"], sandbox_token(spec.outputs, "smoke-tools")


def inspector(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["node", str(CLI), url, "--transport", "http", "--method", "tools/list", *extra],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_inspector_lists_the_tools_with_the_bearer_token(running: tuple[str, str]) -> None:
    url, token = running
    done = inspector(url, "--header", f"Authorization: Bearer {token}")
    assert done.returncode == 0, done.stderr
    # dev's tools gateway fronts its targets; smoke-tools may call the read tools, not the delete.
    assert '"name": "search___find"' in done.stdout and '"name": "ops___list_items"' in done.stdout
    assert '"name": "ops___delete_item"' not in done.stdout


def test_inspector_is_refused_without_a_token(running: tuple[str, str]) -> None:
    url, _ = running
    done = inspector(url)
    assert done.returncode != 0
    assert "Invalid Bearer token" in done.stderr
