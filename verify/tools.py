"""The checks of a gateway's targets and per-tool access (issue 26), from the stack outputs alone:

- `tools/list` shows the caller exactly the tools its token's `permissions` are granted
  (`toolGrants`; AgentCore lists only what the caller's policies allow), and every target's share;
  a gateway with targets that lists nothing, or a target none of whose tools appear, gets a diagnosis;
- with `--call-tools` (opt-in: a tools/call runs a real tool), a granted tool's call succeeds and a
  tool the caller is not granted is refused by policy;
- against the sandbox (its outputs carry `sandbox.upstreamTokens`), no upstream was shown the
  caller's token, and every token it was shown was for its own URL.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx2

from rules.outputs import DeployedGateway
from rules.toolaccess import action_name, split_action
from verify.checks import Check, _titled, mcp_session

NOT_LISTED_CAUSE = (
    "AgentCore lists a target's tools when it creates or synchronizes the target; none listed means one of: "
    "the target is not synced (its status is not READY, or SynchronizeGatewayTargets never ran since the "
    "upstream changed), its outbound credential was refused (the gateway's machine client, its grant on the "
    "upstream's API, the audience the credential provider sends), or the upstream is unreachable from AWS"
)
NOT_LISTED_FIX = (
    "read the target's status and statusReasons (aws bedrock-agentcore-control get-gateway-target "
    "--gateway-identifier <gatewayId> --target-id <id>), fix what they name, then synchronize the target "
    "(aws bedrock-agentcore-control synchronize-gateway-targets)"
)


def every_tool(gw: DeployedGateway) -> list[str]:
    return sorted(action_name(t, tool) for t, tools in (gw.get("targetTools") or {}).items() for tool in tools)


def expected_tools(gw: DeployedGateway, permissions: list[str]) -> list[str]:
    """What `tools/list` should show a caller holding `permissions`: all the targets' tools without
    tool access or in LOG_ONLY (which enforces nothing), else those its permissions are granted."""
    grants = gw.get("toolGrants")
    if grants is None or gw.get("toolAccessMode") == "LOG_ONLY":
        return every_tool(gw)
    return sorted({tool for p, tools in grants.items() if p in permissions for tool in tools})


def check_listed(gw: DeployedGateway, listed: list[str], permissions: list[str], *, subject: str = "") -> Check:
    name = _titled(subject, "targets' tools listed")
    targets = sorted(gw.get("targetTools") or {})
    expected = expected_tools(gw, permissions)
    if not listed:
        return Check(
            name,
            False,
            f"the gateway lists no tool, though it has targets ({', '.join(targets)})",
            NOT_LISTED_CAUSE,
            NOT_LISTED_FIX,
        )
    shown = {split_action(t)[0] for t in listed if "___" in t}
    silent = sorted({split_action(t)[0] for t in expected} - shown)
    if silent:
        return Check(
            name,
            False,
            f"no tool of target(s) {', '.join(silent)} is listed (this caller may call {', '.join(expected)})",
            NOT_LISTED_CAUSE,
            NOT_LISTED_FIX,
        )
    extra, missing = sorted(set(listed) - set(expected)), sorted(set(expected) - set(listed))
    if extra:
        return Check(
            name,
            False,
            f"lists {', '.join(extra)}, which this caller's permissions ({', '.join(permissions) or 'none'}) "
            "do not grant",
            "the gateway's policy engine allows more than toolAccess.grants (a policy outside mcpauth, or the "
            "engine not attached in ENFORCE mode)",
            "compare the engine's policies with toolAccess.grants, and the gateway's policyEngineConfiguration",
        )
    if missing:
        return Check(
            name,
            False,
            f"{', '.join(missing)} not listed, though this caller's permissions grant them",
            "the target no longer serves them, or the policies were not updated",
            "synchronize the target, then compare its tools with the config's `tools`; run `pulumi up`",
        )
    return Check(name, True, f"{len(listed)} tool(s) for {', '.join(permissions) or 'no permission'}")


def sample_arguments(schema: dict[str, Any]) -> dict[str, Any]:
    """Arguments that satisfy a tool's required inputs with placeholder values of their type."""
    samples: dict[str, Any] = {"string": "verify", "integer": 0, "number": 0, "boolean": False, "array": []}
    props = schema.get("properties") or {}
    return {key: samples.get(str((props.get(key) or {}).get("type")), {}) for key in schema.get("required") or []}


async def _calls(url: str, token: str, allowed: str | None, refused: str | None) -> dict[str, Any]:
    from mcp.shared.exceptions import MCPError

    out: dict[str, Any] = {}
    async with mcp_session(url, token) as session:
        schemas = {t.name: t.input_schema for t in (await asyncio.wait_for(session.list_tools(), 10)).tools}
        for key, tool in (("allowed", allowed), ("refused", refused)):
            if tool is None:
                continue
            try:
                result = await asyncio.wait_for(
                    session.call_tool(tool, sample_arguments(dict(schemas.get(tool) or {}))), 10
                )
                out[key] = ("ok", "error result" if result.is_error else "")
            except MCPError as e:
                out[key] = ("refused", e.message)
    return out


def check_calls(url: str, token: str, gw: DeployedGateway, permissions: list[str], *, subject: str = "") -> list[Check]:
    """One granted tool called (it must answer) and one not granted (it must be refused by policy)."""
    expected = expected_tools(gw, permissions)
    others = [t for t in every_tool(gw) if t not in expected]
    allowed = expected[0] if expected else None
    refused = others[0] if others and gw.get("toolAccessMode") != "LOG_ONLY" else None
    try:
        got = asyncio.run(_calls(url, token, allowed, refused))
    except Exception as e:  # noqa: BLE001 - any failure of the MCP client is these checks failing
        return [Check(_titled(subject, "tools/call"), False, "failed", f"{type(e).__name__}: {e}"[:200], "rerun")]
    checks = []
    if allowed is not None:
        verdict, why = got["allowed"]
        name = _titled(subject, f"tools/call {allowed} (granted)")
        checks.append(
            Check(name, True, "answered")
            if verdict == "ok" and not why
            else Check(
                name,
                False,
                f"{verdict}: {why}",
                "the policy engine or the target refused a call the grants allow",
                "read the gateway's policy decisions in its logs and the target's status",
            )
        )
    if refused is not None:
        verdict, why = got["refused"]
        name = _titled(subject, f"tools/call {refused} (not granted)")
        checks.append(
            Check(name, True, f"refused: {why[:120]}")
            if verdict == "refused"
            else Check(
                name,
                False,
                "the gateway ran a tool this caller's permissions do not grant",
                "the policy engine is not attached in ENFORCE mode, or a policy outside mcpauth permits it",
                "check the gateway's policyEngineConfiguration and the engine's policies; run `pulumi up`",
            )
        )
    return checks


def check_upstream_tokens(
    http: httpx2.Client, seen_urls: dict[str, str], client_id: str, *, subject: str = ""
) -> list[Check]:
    """Sandbox only: each upstream was shown the gateway's tokens for its own URL, never the caller's."""
    checks = []
    for target, url in sorted(seen_urls.items()):
        name = _titled(subject, f"upstream {target} never sees the caller's token")
        try:
            doc = http.get(url).json()
        except (httpx2.HTTPError, json.JSONDecodeError) as e:
            checks.append(Check(name, False, f"{url}: {e}", "the sandbox is not running", "start `make sandbox`"))
            continue
        seen = doc.get("seen") or []
        theirs = [c for c in seen if c.get("azp") == client_id]
        wrong_aud = sorted({str(c.get("aud")) for c in seen if c.get("aud") != doc.get("url")})
        if theirs or wrong_aud:
            checks.append(
                Check(
                    name,
                    False,
                    f"{len(theirs)} of the caller's token(s); audiences other than {doc.get('url')}: {wrong_aud}",
                    "the gateway forwarded the caller's token, or asked for a token for another audience",
                    "the target's outbound credential must be the gateway's own, for the upstream's URL",
                )
            )
        else:
            checks.append(Check(name, True, f"{len(seen)} token(s), all the gateway's, aud {doc.get('url')}"))
    return checks


def tool_checks(
    http: httpx2.Client,
    gw: DeployedGateway,
    token: str,
    client_id: str,
    *,
    subject: str = "",
    call_tools: bool = False,
    upstream_tokens: dict[str, str] | None = None,
) -> list[Check]:
    """Every check of a gateway with targets, for one caller's token."""
    from verify.checks import _mcp_tools, describe_token

    permissions = [str(p) for p in describe_token(token)["claims"].get("permissions") or []]
    url = gw["resourceUrl"]
    try:
        listed = asyncio.run(_mcp_tools(url, token))
    except Exception as e:  # noqa: BLE001 - the MCP check above already diagnosed the failure
        return [Check(_titled(subject, "targets' tools listed"), False, "tools/list failed", str(e)[:200], "see above")]
    checks = [check_listed(gw, listed, permissions, subject=subject)]
    if call_tools:
        checks += check_calls(url, token, gw, permissions, subject=subject)
    if upstream_tokens:
        checks += check_upstream_tokens(http, upstream_tokens, client_id, subject=subject)
    return checks
