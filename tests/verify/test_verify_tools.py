"""`make verify`'s checks of targets and per-tool access against the sandbox: passing on the dev
stack, then each failure produced for real (a target not synced, its outbound credential refused,
its upstream down; no policy enforced; a caller's token shown to the upstream) and diagnosed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest

from sandbox.sandbox import Sandbox, SandboxSpec, spec_from_plan
from sandbox.targets import TargetSpec
from tests.helpers.stack import sandbox_token
from verify import __main__ as cli
from verify.checks import Check, Target, run_all
from verify.tools import NOT_LISTED_CAUSE

pytestmark = pytest.mark.slow  # sandboxes and MCP upstreams served on 127.0.0.1


@pytest.fixture(scope="module")
def dev(dev_plan: Any) -> Iterator[SandboxSpec]:
    with Sandbox(spec_from_plan(dev_plan)) as running:
        yield running.spec


def tool_checks(spec: SandboxSpec, call_tools: bool = False) -> list[Check]:
    return [c for c in run_all(Target.from_outputs(spec.outputs), call_tools=call_tools) if c.name.startswith("smoke")]


def named(checks: list[Check], part: str) -> Check:
    return next(c for c in checks if part in c.name)


def search(spec: SandboxSpec) -> TargetSpec:
    return next(t for t in spec.gateways["tools"].targets if t.name == "search")


def test_the_targets_tools_are_listed_and_a_granted_call_answers_and_another_is_refused(dev: SandboxSpec) -> None:
    checks = tool_checks(dev, call_tools=True)
    assert [c.line() for c in checks if not c.ok] == []
    assert named(checks, "targets' tools listed").detail == "3 tool(s) for read:tools, execute:tools"
    assert named(checks, "(granted)").name.endswith("tools/call ops___list_items (granted)")
    assert "Tool Execution Denied" in named(checks, "(not granted)").detail
    assert "all the gateway's, aud https://search.dev.example.com/mcp" in named(checks, "upstream search").detail


def test_without_the_flag_no_tool_is_called(dev: SandboxSpec) -> None:
    assert not [c for c in tool_checks(dev) if "tools/call" in c.name]


def _every_target(change: Callable[[TargetSpec], None]) -> Callable[[SandboxSpec], None]:
    def apply(spec: SandboxSpec) -> None:
        for target in spec.gateways["tools"].targets:
            change(target)

    return apply


def test_a_gateway_with_targets_and_an_empty_list_is_diagnosed(sandbox: Any) -> None:
    spec = sandbox(_every_target(lambda t: setattr(t, "synced", False)))
    check = named(tool_checks(spec), "targets' tools listed")
    assert not check.ok
    assert check.detail == "the gateway lists no tool, though it has targets (ops, search)"
    assert check.cause == NOT_LISTED_CAUSE
    for cause in ("not synced", "outbound credential was refused", "unreachable"):
        assert cause in check.cause
    assert "get-gateway-target" in check.fix and "synchronize-gateway-targets" in check.fix


@pytest.mark.parametrize(
    "knob",
    [("outbound_secret_wrong", True), ("serve", False), ("synced", False)],
    ids=["credential refused", "upstream down", "not synced"],
)
def test_a_target_whose_tools_are_missing_is_named(sandbox: Any, knob: tuple[str, bool]) -> None:
    spec = sandbox(lambda s: setattr(search(s), *knob))
    check = named(tool_checks(spec), "targets' tools listed")
    assert not check.ok
    assert check.detail.startswith("no tool of target(s) search is listed")
    assert check.cause == NOT_LISTED_CAUSE


def test_a_gateway_without_its_policy_engine_fails_listing_and_the_refusal(sandbox: Any) -> None:
    spec = sandbox(lambda s: setattr(s.gateways["tools"], "policy_mode", ""))
    checks = tool_checks(spec, call_tools=True)
    listed = named(checks, "targets' tools listed")
    assert not listed.ok and listed.detail.startswith("lists ops___delete_item, which this caller's permissions")
    refusal = named(checks, "(not granted)")
    assert not refusal.ok and refusal.detail == "the gateway ran a tool this caller's permissions do not grant"


def test_a_caller_token_shown_to_the_upstream_is_caught(sandbox: Any) -> None:
    spec = sandbox(lambda s: None)
    token = sandbox_token(spec.outputs, "smoke-tools")
    httpx2.post(search(spec).local_url, headers={"Authorization": f"Bearer {token}"}, json={})
    check = named(tool_checks(spec), "upstream search")
    assert not check.ok
    assert check.detail.startswith("1 of the caller's token(s)")


def test_the_flag_is_on_the_command_line(dev: SandboxSpec, tmp_path: Any, capsys: Any) -> None:
    import json

    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(dev.outputs))
    assert cli.main(["--outputs", str(outputs), "--call-tools"]) == 0
    assert "tools/call ops___delete_item (not granted)" in capsys.readouterr().out


def test_make_demo_shows_per_tool_access_on_dev(capsys: Any) -> None:
    from sandbox import demo

    assert demo.main(["--stack", "dev"]) == 0
    out = capsys.readouterr().out
    assert "✓ smoke-tools → tools: tools/call ops___delete_item (not granted): refused" in out
    assert "✓ tools: user@mcp.test (MCP User): 3 tool(s): ops___list_items, search___find, search___get" in out
