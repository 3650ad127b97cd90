"""A sandbox for a stack, from its offline plan: shared by the sandbox's tests and the e2e ones."""

from __future__ import annotations

from pathlib import Path

from offline.plan import make_plan
from sandbox.sandbox import SandboxSpec, spec_from_plan
from tests.helpers.stack import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "interactive"


def sandbox_spec(stack: str, stack_dir: Path | None = None) -> SandboxSpec:
    plan = make_plan(stack, stack_dir=stack_dir, policies=lambda *_: []) if stack_dir else make_plan(stack)
    return spec_from_plan(plan)
