"""`make plan`'s targets and tool-access section: per gateway, each target's endpoint and outbound
credential, and per role the tools its permissions let it call, in text and in JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from offline import plan as planmod
from tests.helpers.stack import ROOT


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = planmod.main(list(argv))
    return code, capsys.readouterr().out


def dev_with(tmp_path: Path, old: str, new: str) -> Path:
    """The dev stack file in `tmp_path` (once written, edited there) with `old` replaced."""
    path = tmp_path / "Pulumi.dev.yaml"
    text = (path if path.exists() else ROOT / "Pulumi.dev.yaml").read_text()
    assert old in text
    (tmp_path / "Pulumi.dev.yaml").write_text(text.replace(old, new))
    return tmp_path


def test_the_json_plan_shows_each_target_credential_and_each_roles_tools(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_main(capsys, "--stack", "dev", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    (tools,) = doc["toolAccess"]  # the docs gateway has no targets
    assert tools["gateway"] == "tools" and tools["mode"] == "ENFORCE"
    targets = {t["name"]: t for t in tools["targets"]}
    assert targets["search"]["kind"] == "mcpServer"
    assert targets["search"]["endpoint"] == "https://search.dev.example.com/mcp"
    assert targets["search"]["credential"] == {
        "kind": "oauth",
        "provider": "gw-tools-targets-search-oauth",
        "providerArn": targets["search"]["credential"]["providerArn"],
        "audience": "https://search.dev.example.com/mcp",
        "scopes": ["search:read"],
    }
    assert ":token-vault/default/oauth2credentialprovider/" in targets["search"]["credential"]["providerArn"]
    assert targets["ops"]["kind"] == "lambda"
    assert targets["ops"]["endpoint"] == "arn:aws:lambda:us-east-1:111122223333:function:mcp-ops-dev"
    assert targets["ops"]["credential"]["kind"] == "gatewayIamRole"
    assert targets["ops"]["credential"]["role"] == "gw-tools-role"
    # The ids are the stack outputs' (what a resync names).
    assert {n: t["targetId"] for n, t in targets.items()} == doc["outputs"]["gateways"]["tools"]["targets"]
    # delete_item is Admin-only: only write:resources grants it.
    assert "ops___delete_item" not in tools["roles"]["MCP User"]
    assert "ops___delete_item" in tools["roles"]["MCP Admin"]
    assert tools["roles"]["MCP User"] == ["ops___list_items", "search___find", "search___get"]
    assert tools["ungranted"] == [] and tools["warnings"] == []


def test_the_text_plan_lists_targets_credentials_mode_and_tools_per_role(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_main(capsys, "--stack", "dev")
    assert code == 0
    section = out.split("Targets and tool access")[1].split("\nCritical path")[0]
    assert "target search (mcpServer) https://search.dev.example.com/mcp" in section
    assert (
        "outbound oauth: provider gw-tools-targets-search-oauth, upstream API https://search.dev.example.com/mcp"
        in section
    )
    assert "scopes search:read" in section
    assert "outbound gatewayIamRole: role gw-tools-role" in section
    assert "tool access (ENFORCE)" in section
    assert "MCP User: ops___list_items, search___find, search___get" in section
    assert "MCP Admin: ops___delete_item, ops___list_items, search___find, search___get" in section


def test_a_tool_no_permission_grants_is_a_warning_and_log_only_is_shown(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    dev_with(tmp_path, "          write:resources: [ops___delete_item]\n", "")
    dev_with(tmp_path, "mode: ENFORCE", "mode: LOG_ONLY")
    code, out = run_main(capsys, "--stack", "dev", "--stack-dir", str(tmp_path), "--format", "json")
    assert code == 0
    (tools,) = json.loads(out)["toolAccess"]
    assert tools["mode"] == "LOG_ONLY"
    assert tools["ungranted"] == ["ops___delete_item"]
    assert any("ops___delete_item" in w and "nobody can call it" in w for w in tools["warnings"])
    assert all("ops___delete_item" not in t for t in tools["roles"].values())
    _, text = run_main(capsys, "--stack", "dev", "--stack-dir", str(tmp_path))
    assert "tool access (LOG_ONLY: logged, not enforced)" in text
    assert "! ops___delete_item: no permission grants it, so nobody can call it" in text


def test_a_target_with_an_api_key_names_the_secret_not_its_value(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    d = dev_with(
        tmp_path,
        "      # Which permission lets",
        "        - name: weather\n"
        "          mcpServer: https://weather.example.com/mcp\n"
        "          tools: [forecast]\n"
        "          outbound: {kind: apiKey, apiKeySecret: weatherKey, parameterName: X-Api-Key}\n"
        "      # Which permission lets",
    )
    # Each key set with `pulumi config set --secret --path 'mcpauth:targetSecrets.weatherKey'`.
    secret = "  mcpauth:targetSecrets:\n    weatherKey:\n      secure: AAABAExample\n"
    dev_with(d, "  mcpauth:protect: false\n", "  mcpauth:protect: false\n" + secret)
    code, out = run_main(capsys, "--stack", "dev", "--stack-dir", str(d), "--format", "json")
    assert code == 0, out
    (tools,) = json.loads(out)["toolAccess"]
    weather = next(t for t in tools["targets"] if t["name"] == "weather")
    assert weather["credential"]["kind"] == "apiKey"
    assert weather["credential"]["secret"] == "mcpauth:targetSecrets.weatherKey"
    assert weather["credential"]["provider"] == "gw-tools-targets-weather-apikey"
    assert tools["ungranted"] == ["weather___forecast"]


def test_without_tool_access_every_role_may_call_every_tool_and_the_plan_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    block = (
        "      toolAccess:\n        mode: ENFORCE\n        grants:\n"
        "          execute:tools: [search___*, ops___list_items]\n          write:resources: [ops___delete_item]\n"
    )
    dev_with(tmp_path, block, "")
    code, out = run_main(capsys, "--stack", "dev", "--stack-dir", str(tmp_path), "--format", "json")
    assert code == 0
    (tools,) = json.loads(out)["toolAccess"]
    every = ["ops___delete_item", "ops___list_items", "search___find", "search___get"]
    assert tools["mode"] is None and tools["warnings"] == []
    assert tools["roles"] == {"MCP User": every, "MCP Admin": every}
    _, text = run_main(capsys, "--stack", "dev", "--stack-dir", str(tmp_path))
    assert "tool access: none configured (every tool is open to whoever the authorizer lets in)" in text
