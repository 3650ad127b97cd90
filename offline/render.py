"""What `make plan` prints: the JSON document and the text view of a Plan."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from offline.access import render_lines
from offline.engine import Registered
from offline.model import Plan
from rules.types import (
    ACTION,
    API,
    API_SCOPES,
    CLIENT,
    CLIENT_CIMD,
    CLIENT_CREDENTIALS,
    CLIENT_GRANT,
    CONNECTION,
    IAM_ROLE,
    ROLE,
    ROLE_PERMISSION,
    ROOT_STACK,
    TENANT,
    TRIGGER_ACTION,
)
from rules.types import (
    MCP_GATEWAY as GATEWAY,
)

# The inputs a reviewer reads, per type (dotted paths into the engine's camelCase inputs).
REVIEW_INPUTS: dict[str, tuple[str, ...]] = {
    GATEWAY: (
        "name",
        "existingGatewayId",
        "domain",
        "discoveryUrl",
        "allowedClients",
        "allowedScopes",
        "customClaims",
    ),
    IAM_ROLE: ("assumeRolePolicy",),
    API: ("identifier", "signingAlg", "enforcePolicies", "tokenDialect", "tokenLifetime"),
    API_SCOPES: ("resourceServerIdentifier", "scopes"),
    ROLE_PERMISSION: ("roleId", "permission"),
    ROLE: ("name",),
    CLIENT_GRANT: ("audience", "clientId", "defaultFor", "subjectType", "scopes"),
    CLIENT: ("name", "appType", "grantTypes"),
    CLIENT_CIMD: ("externalClientId",),
    CLIENT_CREDENTIALS: ("clientId", "authenticationMethod"),
    TENANT: (
        "flags",
        "resourceParameterProfile",
        "clientIdMetadataDocumentSupported",
        "defaultAudience",
    ),
    CONNECTION: ("name", "strategy", "isDomainConnection", "options.disableSignup"),
    ACTION: ("name", "runtime", "deploy", "supportedTriggers"),
    TRIGGER_ACTION: ("trigger", "actionId"),
}


def _at_path(d: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(d, dict) or part not in d:
            return None
        d = d[part]
    return d


def to_document(plan: Plan) -> dict[str, Any]:
    ev = plan.evaluation
    return {
        "stack": plan.stack,
        "project": plan.project,
        "secretKeys": list(plan.secret_keys),
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "parent": r.parent or None,
                "custom": r.custom,
                "read": r.read,
                "protect": r.protect,
                "inputs": r.inputs,
                "dependsOn": sorted(r.depends_on),
                "propertyDependencies": {k: sorted(v) for k, v in sorted(r.property_dependencies.items())},
                "aliases": sorted(r.aliases),
                "ignoreChanges": list(r.ignore_changes),
            }
            for r in sorted(ev.resources, key=lambda r: r.urn)
        ],
        "outputs": ev.outputs,
        "wiring": [
            {
                "gateway": w.gateway,
                "resourceUrl": w.resource_url,
                "apiIdentifier": w.api_identifier,
                "allowedAudiences": w.allowed_audiences,
                "discoveryUrl": w.discovery_url,
                "issuer": w.issuer,
                "defaultAudience": w.default_audience,
                "ok": not w.problems,
                "problems": w.problems,
            }
            for w in plan.wiring
        ],
        "criticalPath": plan.critical_path,
        "policies": plan.policies,
        "tenant": None
        if plan.tenant is None
        else {
            "domain": plan.tenant.domain,
            "stacks": plan.tenant.stacks,
            "owners": plan.tenant.owners,
            "problems": plan.tenant.problems,
            "notes": plan.tenant.notes,
        },
        "notes": plan.notes,
        "earlyAccess": plan.early_access,
        "limits": plan.limits,
        "toolAccess": [v.to_document() for v in plan.tool_access],
        "auth0Scopes": {"up": plan.auth0_scopes, "previewRefresh": plan.auth0_read_scopes},
        "ok": not plan.failed,
    }


def _short(value: Any, width: int = 96) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= width else text[: width - 1] + "…"


def _summary(r: Registered) -> Iterable[str]:
    keys = REVIEW_INPUTS.get(r.type)
    if keys is None:
        return []
    out = []
    for key in keys:
        value = _at_path(r.inputs, key)
        if value is None or value == [] or value == "":
            continue
        if key == "customClaims":
            match = "authorizingClaimMatchValue"
            value = [
                f"{c.get('inboundTokenClaimName')} {_at_path(c, match + '.claimMatchOperator')} "
                f"{_at_path(c, match + '.claimMatchValue.matchValueString')}"
                for c in value
            ]
        elif key == "scopes" and value and isinstance(value[0], dict):
            value = [s.get("name") for s in value]
        elif key == "assumeRolePolicy":
            doc = json.loads(value)
            value = ", ".join(s["Principal"].get("Service", "?") for s in doc["Statement"])
        out.append(f"{key.rsplit('.', 1)[-1]}: {_short(value)}")
    return out


def render_text(plan: Plan) -> str:
    ev = plan.evaluation
    by_urn = ev.by_urn()
    kids: dict[str, list[Registered]] = {}
    for r in sorted(ev.resources, key=lambda r: r.urn):
        kids.setdefault(r.parent if r.parent in by_urn else "", []).append(r)
    n_custom = sum(1 for r in ev.resources if r.custom)
    n_components = sum(1 for r in ev.resources if not r.custom and r.type != ROOT_STACK)
    lines = [
        f"mcpauth plan: stack {plan.stack} (project {plan.project}), evaluated offline under mocks",
        f"{n_custom} resources in {n_components} components",
    ]
    if plan.secret_keys:
        lines.append(
            f"secrets not decrypted offline (each secure: value read as [secret]): {', '.join(plan.secret_keys)}"
        )
    lines += ["", "Resources"]

    def walk(parent: str, prefix: str) -> None:
        items = kids.get(parent, [])
        for i, r in enumerate(items):
            last = i == len(items) - 1
            flags = "".join(f" [{f}]" for f, on in (("read", r.read), ("protect", r.protect)) if on)
            lines.append(f"{prefix}{'└─ ' if last else '├─ '}{r.type} {r.name}{flags}")
            inner = prefix + ("   " if last else "│  ")
            for s in _summary(r):
                lines.append(f"{inner}    {s}")
            walk(r.urn, inner)

    walk("", "")

    lines += ["", "Wiring (each row's strings must be byte-identical)"]
    for w in plan.wiring:
        mark = "ok" if not w.problems else "MISMATCH"
        lines.append(f"  {w.gateway}: {mark}")
        lines.append(f"    resource URL       {w.resource_url}")
        lines.append(f"    API identifier     {w.api_identifier}")
        lines.append(f"    allowed audiences  {', '.join(w.allowed_audiences) or '(none)'}")
        lines.append(f"    discovery URL      {w.discovery_url}")
        lines.append(f"    issuer             {w.issuer}")
        if w.default_audience is not None:
            lines.append(f"    default audience   {w.default_audience}")
        for p in w.problems:
            lines.append(f"    ✗ {p}")

    if plan.tool_access:
        lines += ["", "Targets and tool access (per role, the tools its permissions grant)"]
        lines += render_lines(plan.tool_access)

    lines += ["", f"Critical path ({len(plan.critical_path)} resources in sequence)"]
    for u in plan.critical_path:
        r = by_urn[u]
        lines.append(f"  → {r.type} {r.name}")

    lines += ["", "Policies"]
    if not plan.policies and not plan.pack_found:
        lines.append("  (no policy pack found)")
    elif not plan.policies:
        lines.append("  all policies pass")
    by_name = {r.urn: r.name for r in ev.resources}
    for v in plan.policies:
        where = by_name.get(v["resource"], "stack") if v["resource"] else "stack"
        mark = "✗" if v["enforcementLevel"] == "mandatory" else "!"
        lines.append(f"  {mark} {v['enforcementLevel']} {v['policy']} ({where}): {v['message']}")

    if plan.tenant is not None:
        tv = plan.tenant
        owner = ", ".join(tv.owners) or "none"
        lines += ["", f"Tenant {tv.domain}: stacks here {', '.join(tv.stacks)}; owner {owner}"]
        lines += [f"  ✗ {p}" for p in tv.problems] + [f"  note: {n}" for n in tv.notes]

    lines += ["", "Deployer's Auth0 Management API scopes (from the provider's calls)"]
    lines.append(f"  up:                {' '.join(plan.auth0_scopes)}")
    lines.append(f"  preview --refresh: {' '.join(plan.auth0_read_scopes)}")

    if plan.limits:
        lines += ["", "Auth0 free-plan limits (a warning: the tenant may be on a paid plan)"]
        lines += [f"  ! {n}" for n in plan.limits]

    if plan.early_access:
        lines += ["", "Early Access (Auth0 enables these per tenant; they may change)"]
        lines += [f"  ! {n}" for n in plan.early_access]

    if plan.notes:
        lines += ["", "On what already exists"]
        lines += [f"  ! {n}" for n in plan.notes]

    lines += ["", "Outputs"]
    for k in sorted(ev.outputs):
        lines.append(f"  {k}: {_short(ev.outputs[k], 110)}")
    lines += ["", "plan: " + ("FAILED (see ✗ above)" if plan.failed else "ok")]
    return "\n".join(lines)
