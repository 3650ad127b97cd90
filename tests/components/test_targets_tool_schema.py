"""A Lambda target's tool schema as the program declares it (pulumi-aws AgentcoreGatewayTarget
targetConfiguration.mcp.lambda.toolSchema): inline, each tool's name, description and input schema;
or the s3:// URI it names. The mutation run found neither asserted."""

from __future__ import annotations

import json
from typing import Any

from rules.types import GATEWAY_TARGET
from tests.components.test_targets_program import OPS, evaluate


def tool_schema(target: dict[str, Any]) -> Any:
    ev = evaluate([target], grants={})
    (declared,) = ev.of_type(GATEWAY_TARGET)
    return declared.inputs["targetConfiguration"]["mcp"]["lambda"]["toolSchema"]


def test_an_inline_tool_schema_is_declared_tool_by_tool() -> None:
    schema = tool_schema(OPS)
    (tool,) = schema["inlinePayloads"]
    assert (tool["name"], tool["description"]) == ("delete_item", "Delete one item")
    assert "id" in json.dumps(tool["inputSchema"]) and "string" in json.dumps(tool["inputSchema"])
    assert "s3" not in schema


def test_a_tool_schema_in_s3_is_declared_by_its_uri() -> None:
    target = {k: v for k, v in OPS.items() if k != "toolSchema"} | {
        "toolSchema": "s3://bucket/ops-tools.json",
        "tools": ["delete_item"],
    }
    assert tool_schema(target) == {"s3": {"uri": "s3://bucket/ops-tools.json"}}
