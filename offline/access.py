"""What `make plan` shows per gateway about its targets and who may call which tool (issue 26): each
target with its endpoint and outbound credential as the evaluated program declares them, and, per
role of the stack, the tools its permissions grant under the gateway's AgentCore Policy engine
(rules/toolaccess.py: the same expansion the program writes the Cedar policies from)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from offline.engine import Evaluation, Registered
from rules import toolaccess
from rules.types import API_KEY_PROVIDER, GATEWAY_TARGET, IAM_ROLE, OAUTH2_PROVIDER
from rules.types import MCP_GATEWAY as GATEWAY
from stackconfig.settings import Settings
from stackconfig.targets import TargetConfig


@dataclass(frozen=True)
class TargetRow:
    name: str
    kind: str  # mcpServer | lambda | openApiSchema | smithyModel
    endpoint: str  # the MCP server's URL, the Lambda's ARN, or the schema (inline or s3://)
    target_id: str
    tools: list[str]  # the tools it serves, as the target names them
    # The outbound credential: `kind` (oauth | apiKey | gatewayIamRole) and what it is made of.
    credential: dict[str, Any]


@dataclass(frozen=True)
class GatewayAccess:
    gateway: str
    targets: list[TargetRow]
    # None: the gateway has no tool access configured (no policy engine: every tool is callable
    # by whoever passes the authorizer).
    mode: str | None = None
    # role name -> tools it may call (without tool access: every tool, for every role)
    roles: dict[str, list[str]] = field(default_factory=dict)
    # Tools no permission grants: under default deny, callable by nobody.
    ungranted: list[str] = field(default_factory=list)

    def warnings(self) -> list[str]:
        if self.mode is None:
            return []
        return [
            f"{tool}: no permission grants it, so nobody can call it (AgentCore Policy denies by default); "
            f"add it to a grant under toolAccess.grants"
            for tool in self.ungranted
        ]

    def to_document(self) -> dict[str, Any]:
        return {
            "gateway": self.gateway,
            "mode": self.mode,
            "targets": [
                {
                    "name": t.name,
                    "kind": t.kind,
                    "endpoint": t.endpoint,
                    "targetId": t.target_id,
                    "tools": t.tools,
                    "credential": t.credential,
                }
                for t in self.targets
            ],
            "roles": self.roles,
            "ungranted": self.ungranted,
            "warnings": self.warnings(),
        }


def _endpoint(target: TargetConfig) -> str:
    value = {
        "mcpServer": target.mcp_server,
        "lambda": target.lambda_arn,
        "openApiSchema": target.open_api_schema,
        "smithyModel": target.smithy_model,
    }[target.kind]
    text = str(value)
    # An inline schema is a document, not an address: say so rather than print it.
    return text if text.startswith(("https://", "http://", "arn:", "s3://")) else "(inline schema)"


def _by_output(ev: Evaluation, typ: str, key: str) -> dict[str, Registered]:
    return {str(r.outputs.get(key)): r for r in ev.of_type(typ) if r.outputs.get(key)}


def _provider(ev: Evaluation, config: dict[str, Any], kind: str, typ: str) -> dict[str, Any]:
    """The credential kind, the provider resource its `<kind>.providerArn` names, and that ARN."""
    arn = (config.get(kind) or {}).get("providerArn")
    found = _by_output(ev, typ, "credentialProviderArn").get(str(arn))
    return {"kind": kind, "provider": found.name if found else None, "providerArn": arn}


def _credential(
    target: TargetConfig, resource: Registered | None, ev: Evaluation, role: Registered | None
) -> dict[str, Any]:
    config = (resource.inputs.get("credentialProviderConfiguration") if resource else None) or {}
    out = target.outbound
    if target.credential == "oauth":
        return {
            **_provider(ev, config, "oauth", OAUTH2_PROVIDER),
            "audience": target.audience,  # the upstream's Auth0 API identifier
            "scopes": list(out.scopes),
        }
    if target.credential == "apiKey":
        return {
            **_provider(ev, config, "apiKey", API_KEY_PROVIDER),
            "secret": f"mcpauth:targetSecrets.{out.api_key_secret}",  # its name, never its value
            "location": out.location,
            "parameterName": out.parameter_name,
        }
    return {
        "kind": "gatewayIamRole",
        # An adopted gateway's role is not this stack's: no resource to name.
        "role": role.name if role else None,
        "roleArn": role.outputs.get("arn") if role else None,
        "service": out.service,
    }


def gateway_access(ev: Evaluation, settings: Settings) -> list[GatewayAccess]:
    """Per gateway with targets, in config order."""
    outputs = ev.outputs.get("gateways") or {}
    gateways = {str(g.outputs.get("gatewayId")): g for g in ev.of_type(GATEWAY)}
    roles_by_arn = _by_output(ev, IAM_ROLE, "arn")
    role_permissions = {r.name: list(r.permissions) for r in settings.project.role_specs}
    views = []
    for gw in settings.project.gateways:
        if not gw.targets:
            continue
        gateway_id = str((outputs.get(gw.name) or {}).get("gatewayId"))
        gateway = gateways.get(gateway_id)
        role = roles_by_arn.get(str(gateway.inputs.get("roleArn"))) if gateway else None
        resources = {
            str(r.inputs.get("name")): r
            for r in ev.of_type(GATEWAY_TARGET)
            if str(r.inputs.get("gatewayIdentifier")) == gateway_id
        }
        ids = (outputs.get(gw.name) or {}).get("targets") or {}
        rows = [
            TargetRow(
                name=t.name,
                kind=t.kind,
                endpoint=_endpoint(t),
                target_id=str(ids.get(t.name, "")),
                tools=list(t.tool_names),
                credential=_credential(t, resources.get(t.name), ev, role),
            )
            for t in gw.targets
        ]
        tools = {t.name: t.tool_names for t in gw.targets}
        if not gw.tool_access.grants:
            # No policy engine: whoever the authorizer lets in may call every tool.
            every = sorted(toolaccess.action_name(t, name) for t, names in tools.items() for name in names)
            views.append(GatewayAccess(gw.name, rows, roles={role: every for role in role_permissions}))
            continue
        expanded = toolaccess.expand_grants(gw.tool_access.grants, tools)
        views.append(
            GatewayAccess(
                gw.name,
                rows,
                mode=gw.tool_access.mode,
                roles=toolaccess.role_tools(expanded, role_permissions),
                ungranted=toolaccess.ungranted(expanded, tools),
            )
        )
    return views


def render_lines(views: list[GatewayAccess]) -> list[str]:
    lines: list[str] = []
    for v in views:
        lines.append(f"  {v.gateway}")
        for t in v.targets:
            lines.append(
                f"    target {t.name} ({t.kind}) {t.endpoint}" + (f"  id {t.target_id}" if t.target_id else "")
            )
            c = t.credential
            if c["kind"] == "oauth":
                lines.append(
                    f"      outbound oauth: provider {c['provider']}, upstream API {c['audience']}, "
                    f"scopes {' '.join(c['scopes']) or '(none)'}"
                )
            elif c["kind"] == "apiKey":
                lines.append(
                    f"      outbound apiKey: provider {c['provider']}, key from {c['secret']} "
                    f"({c['location']} {c['parameterName'] or ''})".rstrip()
                )
            else:
                service = f", service {c['service']}" if c["service"] else ""
                lines.append(f"      outbound gatewayIamRole: role {c['role'] or '(the adopted gateway’s)'}{service}")
        if v.mode is None:
            lines.append("    tool access: none configured (every tool is open to whoever the authorizer lets in)")
            continue
        lines.append(f"    tool access ({v.mode}{': logged, not enforced' if v.mode == 'LOG_ONLY' else ''})")
        for role, tools in v.roles.items():
            lines.append(f"      {role}: {', '.join(tools) or '(no tool)'}")
        lines += [f"      ! {w}" for w in v.warnings()]
    return lines


def access_tables(doc: dict[str, Any] | None) -> dict[str, dict[str, list[str]]] | None:
    """Per gateway, its `roles` table from a plan document (`toolAccess`); {} for no document (a
    stack file that did not exist), None for a plan that does not report tool access."""
    if doc is None:
        return {}
    if "toolAccess" not in doc:
        return None
    return {str(v["gateway"]): {str(r): list(t) for r, t in v["roles"].items()} for v in doc["toolAccess"]}


def access_changes_between(
    old_doc: dict[str, Any] | None, new_doc: dict[str, Any]
) -> list[tuple[str, toolaccess.AccessChange]] | None:
    """What each role gains and loses per gateway between two plans; None when the old plan does
    not report tool access (a revision from before it)."""
    old, new = access_tables(old_doc), access_tables(new_doc) or {}
    if old is None:
        # Nothing to compare when neither side has targets; else say it was not compared.
        return None if new else []
    return [
        (gateway, change)
        for gateway in sorted(set(old) | set(new))
        for change in toolaccess.access_changes(old.get(gateway, {}), new.get(gateway, {}))
    ]
