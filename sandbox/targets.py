"""A gateway's targets in the sandbox, and AgentCore Policy deciding who may list and call them.

- An `mcpServer` target is a real MCP server (the MCP Python SDK's low-level Server, streamable
  HTTP) on loopback, standing in for the configured URL. It validates its own bearer token as an
  upstream must: signed by the issuer, `iss` the issuer's, `aud` its *configured* URL (never the
  gateway's), and it records the claims of every token it was shown, so a test or `make verify`
  can prove the caller's token never reached it.
- A `lambda` target answers in-process from its declared tool schema (required arguments checked).
- The gateway lists each target's tools (an MCP server's through `tools/list` with the gateway's
  own client-credentials token, as AgentCore does at CreateGatewayTarget and
  SynchronizeGatewayTargets), exposes them as `<target>___<tool>`, validates the plan's Cedar
  policies against a schema generated from that list (cedar-policy-mcp-schema-generator, the
  generator AWS publishes), and decides each `tools/call` and filters `tools/list` with Cedar
  itself (cedarpy), never a re-implementation.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import cedarpy
import httpx2
import jwt
from cedar_mcp_schema_generator import generate_schema_or_raise
from mcp import types
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from rules.toolaccess import action_name, claim_tags, split_action
from sandbox.gatekeeper import Refused, admit

# AgentCore's principal and resource entity types (AgentCore developer guide, Policy, "schema
# constraints"); the generator adds one action per listed tool. Numbers as decimals, as AgentCore's
# generated schemas have them (cedar-policy-mcp-schema-generator's `numbersAsDecimal`).
SCHEMA_STUB = """namespace AgentCore {
  @mcp_principal("OAuthUser")
  entity OAuthUser tags String;
  @mcp_resource("Gateway")
  entity Gateway;
}"""
# What AgentCore answers a call its policies deny (observed and published by Classmethod,
# dev.classmethod.jp "...policy-engine-internal-server-exception"); whether it comes as a JSON-RPC
# error or a tool result with isError is not documented: the sandbox sends a JSON-RPC error.
DENIED = (
    "AuthorizeActionException - Tool Execution Denied: Tool call not allowed due to policy enforcement "
    "[Policy evaluation denied due to no determining policies]"
)
POLICY_DENIED_CODE = -32002
# Where a sandbox upstream tells which tokens it was shown (claims only).
SEEN_PATH = "/.sandbox/seen"


class TargetError(Exception):
    """The plan's targets or policies cannot stand as AgentCore would take them."""


@dataclass
class TargetSpec:
    name: str
    kind: str  # mcpServer, lambda, openApiSchema, smithyModel
    url: str  # an MCP server's configured URL: the `aud` it requires; "" for the others
    port: int  # the loopback port standing in for `url`'s host
    tools: list[dict[str, Any]]  # name, description, inputSchema (JSON Schema)
    credential: str  # oauth, apiKey, gatewayIamRole
    client_id: str = ""
    audience: str = ""
    scopes: list[str] = field(default_factory=list)
    # Break knobs (what `make verify` must diagnose): the gateway never listed the target's tools,
    # the issuer refuses the gateway's outbound credential, the upstream is not running.
    synced: bool = True
    outbound_secret_wrong: bool = False
    serve: bool = True

    @property
    def local_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{urlsplit(self.url).path or '/'}"


@dataclass
class _OwnAudience:
    """The upstream's authorizer: its own URL as the only audience, nothing else required."""

    allowed_audiences: list[str]
    allowed_clients: list[str] = field(default_factory=list)
    allowed_scopes: list[str] = field(default_factory=list)
    custom_claims: list[dict[str, Any]] = field(default_factory=list)


def _text(value: Any) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=json.dumps(value, sort_keys=True))])


def _missing(schema: dict[str, Any], arguments: dict[str, Any]) -> list[str]:
    return [name for name in schema.get("required", []) if name not in arguments]


def _upstream_error(target: TargetSpec, e: BaseException) -> TargetError:
    """What went wrong talking to an upstream, named as `make verify` diagnoses it."""
    while isinstance(e, BaseExceptionGroup) and e.exceptions:
        e = e.exceptions[0]
    if isinstance(e, TargetError):
        return e
    if isinstance(e, httpx2.HTTPStatusError) and e.response.status_code == 401:
        return TargetError(f"outbound credential refused by the upstream {target.url} (401)")
    if isinstance(e, httpx2.HTTPStatusError):
        return TargetError(f"upstream {target.url} answered {e.response.status_code}")
    if isinstance(e, httpx2.TransportError | OSError):
        return TargetError(f"upstream unreachable: {target.url}")
    return TargetError(f"upstream {target.url}: {type(e).__name__}: {e}")


class Upstream:
    """An MCP server behind its own bearer check, as the service a target names would be."""

    def __init__(self, target: TargetSpec, issuer: str) -> None:
        self.target, self.issuer = target, issuer
        self.seen: list[dict[str, Any]] = []  # the claims of every token shown to it, admitted or not
        self.http = httpx2.Client(timeout=5.0)

        async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
            return types.ListToolsResult(tools=[types.Tool(**t) for t in target.tools])

        async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
            tool = next((t for t in target.tools if t["name"] == params.name), None)
            if tool is None:
                raise MCPError(-32602, f"unknown tool {params.name}")
            return _text({"target": target.name, "tool": params.name, "arguments": params.arguments or {}})

        server: Any = Server(f"sandbox-upstream-{target.name}", on_list_tools=list_tools, on_call_tool=call_tool)
        inner = server.streamable_http_app(
            streamable_http_path=urlsplit(target.url).path or "/", stateless_http=True, json_response=True
        )
        self.app = Starlette(
            routes=[
                # The sandbox's own window on what it was shown, for `make verify` against the
                # sandbox: each token's `aud`, `azp` and `sub`, never the token.
                Route(SEEN_PATH, self._seen, methods=["GET"]),
                Mount("", app=inner, middleware=[Middleware(_Bearer, upstream=self)]),
            ],
            lifespan=lambda _: inner.router.lifespan_context(inner),
        )

    async def _seen(self, request: Request) -> Response:
        seen = [{k: c.get(k) for k in ("aud", "azp", "sub")} for c in self.seen]
        return JSONResponse({"url": self.target.url, "seen": seen})

    def check(self, authorization: str) -> dict[str, Any]:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Refused("no-token")
        try:
            self.seen.append(jwt.decode(token.strip(), options={"verify_signature": False}))
        except jwt.PyJWTError:
            self.seen.append({})
        disc = self.http.get(self.issuer + ".well-known/openid-configuration").json()
        jwks = self.http.get(disc["jwks_uri"]).json()
        return admit(token.strip(), jwks, self.issuer, _OwnAudience([self.target.url]))


class _Bearer:
    def __init__(self, app: ASGIApp, upstream: Upstream) -> None:
        self.app, self.upstream = app, upstream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope, receive)
            try:
                await asyncio.to_thread(self.upstream.check, request.headers.get("authorization", ""))
            except Refused:
                answer = JSONResponse(
                    {"error": "invalid_token"}, 401, {"www-authenticate": 'Bearer error="invalid_token"'}
                )
                await answer(scope, receive, send)
                return
        await self.app(scope, receive, send)


class Targets:
    """One gateway's targets, tools and policy decisions."""

    def __init__(
        self,
        targets: list[TargetSpec],
        gateway_arn: str,
        policies: list[str],
        policy_mode: str,
        token_endpoint: str,
        secrets: dict[str, str],
    ) -> None:
        self.targets = {t.name: t for t in targets}
        self.gateway_arn, self.policies, self.policy_mode = gateway_arn, policies, policy_mode
        self.token_endpoint, self.secrets = token_endpoint, secrets
        self.tools: dict[str, dict[str, Any]] = {}  # `<target>___<tool>` -> the tool as listed
        self.problems: dict[str, str] = {}  # target -> why its tools are not listed
        self.decisions: list[tuple[str, str, str]] = []  # (subject, tool, allow|deny), LOG_ONLY's trace

    # --- the outbound side ------------------------------------------------------------------------
    async def outbound_token(self, target: TargetSpec) -> str:
        """The gateway's own token for `target` (client credentials with the target's audience, as
        AgentCore Identity asks through the OAuth credential provider's customParameters)."""
        secret = self.secrets.get(target.client_id, "")
        if target.outbound_secret_wrong:
            secret = "not-" + secret
        async with httpx2.AsyncClient(timeout=5.0) as http:
            answer = await http.post(
                self.token_endpoint,
                data={
                    "grant_type": "client_credentials",
                    "client_id": target.client_id,
                    "client_secret": secret,
                    "audience": target.audience,
                    "scope": " ".join(target.scopes),
                },
            )
        if answer.status_code != 200:
            raise TargetError(f"outbound credential refused: the issuer answered {answer.status_code} {answer.text}")
        return str(answer.json()["access_token"])

    async def _upstream(self, target: TargetSpec, method: str, **params: Any) -> Any:
        from mcp.client.session import ClientSession
        from mcp.client.streamable_http import streamable_http_client

        headers = {}
        if target.credential == "oauth":
            headers["Authorization"] = f"Bearer {await self.outbound_token(target)}"
        try:
            async with (
                httpx2.AsyncClient(headers=headers, timeout=5.0) as http,
                streamable_http_client(target.local_url, http_client=http) as (read, write),
                ClientSession(read, write) as session,
            ):
                await asyncio.wait_for(session.initialize(), 10)
                if method == "tools/list":
                    return (await asyncio.wait_for(session.list_tools(), 10)).tools
                return await asyncio.wait_for(session.call_tool(params["name"], params.get("arguments")), 10)
        except (Exception, BaseExceptionGroup) as e:  # noqa: BLE001 - the SDK wraps transport errors in task groups
            raise _upstream_error(target, e) from None

    def sync(self) -> None:
        """List every target's tools (what CreateGatewayTarget and SynchronizeGatewayTargets do)."""
        self.tools.clear()
        self.problems.clear()
        for target in self.targets.values():
            if not target.synced:
                self.problems[target.name] = "target not synced: its tools were never listed"
                continue
            listed = target.tools
            if target.kind == "mcpServer":
                try:
                    found = asyncio.run(self._upstream(target, "tools/list"))
                except TargetError as e:
                    self.problems[target.name] = str(e)
                    continue
                listed = [t.model_dump(exclude_none=True, by_alias=True) for t in found]
            for tool in listed:
                self.tools[action_name(target.name, tool["name"])] = {
                    **tool,
                    "name": action_name(target.name, tool["name"]),
                }

    def validate(self) -> None:
        """The policies against the schema generated from the listed tools, as CreatePolicy validates
        them (FAIL_ON_ANY_FINDINGS): a policy naming a tool the gateway does not list is refused."""
        if not self.policies:
            return
        listed = [{"name": n, "inputSchema": t.get("inputSchema") or {"type": "object"}} for n, t in self.tools.items()]
        schema = generate_schema_or_raise(SCHEMA_STUB, listed, config={"numbersAsDecimal": True})["schema"]
        result = cedarpy.validate_policies("\n".join(self.policies), schema)
        if not result.validation_passed:
            raise TargetError(f"AgentCore would refuse these policies: {result.errors}")

    # --- the decision -----------------------------------------------------------------------------
    def allowed(self, claims: dict[str, Any], tool: str) -> bool:
        """Cedar's decision for `claims` calling `tool`; True without a policy engine, and in LOG_ONLY
        (which traces the decision and enforces none: GatewayPolicyEngineConfiguration.mode)."""
        if not self.policy_mode:
            return True
        subject = str(claims.get("sub", ""))
        principal: dict[str, Any] = {
            "uid": {"type": "AgentCore::OAuthUser", "id": subject},
            "attrs": {},
            "parents": [],
            "tags": claim_tags(claims),
        }
        gateway = {"uid": {"type": "AgentCore::Gateway", "id": self.gateway_arn}, "attrs": {}, "parents": []}
        request = {
            "principal": f"AgentCore::OAuthUser::{json.dumps(subject)}",
            "action": f"AgentCore::Action::{json.dumps(tool)}",
            "resource": f"AgentCore::Gateway::{json.dumps(self.gateway_arn)}",
            "context": {},
        }
        result = cedarpy.is_authorized(request, "\n".join(self.policies), [principal, gateway])
        allow = result.decision == cedarpy.Decision.Allow
        self.decisions.append((str(claims.get("sub", "")), tool, "allow" if allow else "deny"))
        return allow or self.policy_mode == "LOG_ONLY"

    def server(self) -> Any:
        """The gateway's MCP server: the listed tools the caller may call, calls forwarded."""

        def claims_of(ctx: Any) -> dict[str, Any]:
            request = getattr(ctx, "request", None)
            state = getattr(request, "scope", {}).get("state", {}) if request is not None else {}
            return dict(state.get("claims") or {})

        async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
            claims = claims_of(ctx)
            return types.ListToolsResult(
                tools=[types.Tool(**t) for name, t in sorted(self.tools.items()) if self.allowed(claims, name)]
            )

        async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
            if params.name not in self.tools:
                raise MCPError(-32602, f"Unknown tool: {params.name}")
            if not self.allowed(claims_of(ctx), params.name):
                raise MCPError(POLICY_DENIED_CODE, DENIED)
            target_name, tool = split_action(params.name)
            target = self.targets[target_name]
            arguments = dict(params.arguments or {})
            if target.kind != "mcpServer":
                schema = self.tools[params.name].get("inputSchema") or {}
                missing = _missing(schema, arguments)
                if missing:
                    raise MCPError(-32602, f"{params.name}: missing required arguments: {', '.join(missing)}")
                return _text({"target": target.name, "tool": tool, "arguments": arguments})
            try:
                result: types.CallToolResult = await self._upstream(
                    target, "tools/call", name=tool, arguments=arguments
                )
            except TargetError as e:
                raise MCPError(-32603, str(e)) from None
            return result

        return Server("mcpauth-sandbox-gateway", on_list_tools=list_tools, on_call_tool=call_tool)
