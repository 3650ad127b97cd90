"""The dev stack's plan and a sandbox of it, for the verify tests that break one thing at a time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from offline.plan import make_plan
from sandbox.sandbox import Sandbox, SandboxSpec, spec_from_plan


@pytest.fixture(scope="module")
def dev_plan() -> Any:
    # The sandbox reads the plan's outputs only: the policy pack is not run.
    return make_plan("dev", policies=lambda *_: [])


@pytest.fixture
def sandbox(dev_plan: Any) -> Iterator[Callable[..., SandboxSpec]]:
    """Start a sandbox for the dev plan after `change(spec)` breaks something; stop it after."""
    running: list[Sandbox] = []

    def start(change: Callable[[SandboxSpec], None] | None = None) -> SandboxSpec:
        spec = spec_from_plan(dev_plan)
        if change:
            change(spec)
        running.append(Sandbox(spec).start())
        return spec

    yield start
    for sb in running:
        sb.stop()
