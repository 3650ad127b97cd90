"""`make plan STACK=<name>`: what a stack config will create, evaluated offline.

Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml`, runs the real program (`__main__.py`) under the
shared mock engine, and prints the resources as a tree, the wiring table (the strings that must
be byte-identical), the critical path and the policy results.

Exit status: 0 sound; 1 a wiring check or a mandatory policy failed (the plan is printed with
the failures); 2 the stack file or config is invalid (one message naming the file or key).
"""

from __future__ import annotations

import gc

if __name__ == "__main__":
    # A short-lived process: the SDKs load tens of thousands of objects, and the cyclic GC
    # would rescan them on every collection while they load and the program runs (measured:
    # about 15% of a dev plan). Reference counting still frees what the plan drops.
    gc.disable()
    import os

    # No pydantic plugins in the plan: their discovery scans every installed distribution's entry
    # points (pydantic/plugin/_loader.py), and the config models need none.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components import agentcore, awsmodel
from components.auth0_scopes import scopes_for
from components.config import ConfigError, Settings, load_settings
from components.gateway_resource import TYPE_TOKEN as GATEWAY
from components.gateway_resource import _spec as gateway_spec
from components.naming import discovery_url, gateway_of, resource_url
from offline.adopt import reset_notes
from offline.engine import ROOT, Evaluation, OutputHook, Registered, run_program
from offline.stackfile import StackConfig, StackFileError, load_stack
from offline.tenants import TenantView, tenant_view

API = "auth0:index/resourceServer:ResourceServer"
TENANT = "auth0:index/tenant:Tenant"

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2

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
    "aws:iam/role:Role": ("assumeRolePolicy",),
    API: ("identifier", "signingAlg", "enforcePolicies", "tokenDialect", "tokenLifetime"),
    "auth0:index/resourceServerScopes:ResourceServerScopes": ("resourceServerIdentifier", "scopes"),
    "auth0:index/rolePermission:RolePermission": ("roleId", "permission"),
    "auth0:index/role:Role": ("name",),
    "auth0:index/clientGrant:ClientGrant": ("audience", "clientId", "defaultFor", "subjectType", "scopes"),
    "auth0:index/client:Client": ("name", "appType", "grantTypes"),
    "auth0:index/clientCredentials:ClientCredentials": ("clientId", "authenticationMethod"),
    TENANT: (
        "flags",
        "resourceParameterProfile",
        "clientIdMetadataDocumentSupported",
        "defaultAudience",
    ),
    "auth0:index/connection:Connection": ("name", "strategy", "isDomainConnection", "options.disableSignup"),
    "auth0:index/action:Action": ("name", "runtime", "deploy", "supportedTriggers"),
    "auth0:index/triggerAction:TriggerAction": ("trigger", "actionId"),
}


@dataclass
class WiringRow:
    gateway: str
    resource_url: str
    api_identifier: str | None
    allowed_audiences: list[str]
    discovery_url: str | None
    issuer: str
    default_audience: str | None
    problems: list[str] = field(default_factory=list)


@dataclass
class Plan:
    stack: str
    project: str
    evaluation: Evaluation
    wiring: list[WiringRow]
    critical_path: list[str]
    policies: list[dict[str, Any]]
    tenant: TenantView | None = None
    # Keys set with `secure:`: not decrypted offline, each secret part read as "[secret]".
    secret_keys: tuple[str, ...] = ()
    # What the first `up` resets on Auth0 resources that already exist (offline/adopt.py).
    notes: list[str] = field(default_factory=list)
    # The deployer's Management API scopes: for `up`, and for a `preview --refresh`.
    auth0_scopes: list[str] = field(default_factory=list)
    auth0_read_scopes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return (
            any(r.problems for r in self.wiring)
            or any(p["enforcementLevel"] == "mandatory" for p in self.policies)
            or bool(self.tenant and self.tenant.problems)
        )


def _at_path(d: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(d, dict) or part not in d:
            return None
        d = d[part]
    return d


def _component_of(r: Registered, by_urn: dict[str, Registered]) -> str:
    parent = by_urn.get(r.parent)
    return parent.name if parent else ""


def wiring_table(ev: Evaluation, settings: Settings) -> list[WiringRow]:
    """Read each string from the resource that holds it, and compare them exactly."""
    by_urn = ev.by_urn()
    tenant = ev.of_type(TENANT)
    default_aud = tenant[0].inputs.get("defaultAudience") or None if tenant else None
    apis = {gateway_of(_component_of(r, by_urn)): r for r in ev.of_type(API)}
    gateways = {gateway_of(_component_of(r, by_urn)): r for r in ev.of_type(GATEWAY)}
    want_discovery = discovery_url(settings.issuer)
    identifiers = {a.inputs.get("identifier") for a in apis.values()}

    rows = []
    for gw in settings.project.gateways:
        g, api = gateways.get(gw.name), apis.get(gw.name)
        outs = g.outputs if g else {}
        raw_url = str(outs.get("gatewayUrl") or "")
        problem: list[str] = []
        try:
            url = f"https://{gw.domain}/mcp" if gw.domain else resource_url(raw_url)
        except ValueError as e:
            url = raw_url
            problem.append(f"gateway URL: {e}")
        if g is not None and outs.get("resourceUrl") != url:
            problem.append(f"the gateway resource's resource URL {outs.get('resourceUrl')!r} != {url!r}")
        ident = api.inputs.get("identifier") if api else None
        audiences = list(outs.get("allowedAudiences") or [])
        disc = g.inputs.get("discoveryUrl") if g else None
        row = WiringRow(gw.name, url, ident, audiences, disc, settings.issuer, None, problem)
        if api is None:
            row.problems.append("no Auth0 API for this gateway")
        elif ident != url:
            row.problems.append(f"API identifier {ident!r} != resource URL {url!r}")
        if g is None:
            row.problems.append("no gateway resource")
        else:
            if audiences != [ident]:
                row.problems.append(f"allowed audiences {audiences!r} != [API identifier {ident!r}]")
            if disc != want_discovery:
                row.problems.append(f"discovery URL {disc!r} != {want_discovery!r} (from the issuer)")
            if g.inputs.get("allowedClients"):
                row.problems.append("allowed clients set: DCR clients would be refused")
            row.problems.extend(aws_model_problems(g))
        if default_aud is not None and gw.name == settings.project.tenant.default_audience:
            row.default_audience = default_aud
            if default_aud != ident:
                row.problems.append(f"tenant default audience {default_aud!r} != API identifier {ident!r}")
        rows.append(row)
    if default_aud is not None and default_aud not in identifiers:
        for row in rows:
            row.problems.append(f"tenant default audience {default_aud!r} is no API's identifier")
            break
    return rows


def aws_model_problems(gateway: Registered) -> list[str]:
    """The requests the gateway resource will send (CreateGateway, then UpdateGateway with the final
    authorizer), checked against the AgentCore service model boto3 ships, as AWS checks them."""
    props = {**gateway.inputs, "roleArn": gateway.inputs.get("roleArn") or None}
    if props["roleArn"] in (None, "[unknown]"):
        props["roleArn"] = None if gateway.inputs.get("existingGatewayId") else "arn:aws:iam::111122223333:role/r"
    spec = gateway_spec(props)
    live = {
        "gatewayId": gateway.outputs.get("gatewayId") or gateway.id,
        "name": gateway.inputs.get("name"),
        "gatewayUrl": gateway.outputs.get("gatewayUrl") or "",
        "roleArn": props["roleArn"] or "arn:aws:iam::111122223333:role/adopted",
        "authorizerType": "CUSTOM_JWT",
        "status": "READY",
    }
    requests = [("UpdateGateway", agentcore.desired_request(live, spec))]
    if not spec.adopted:
        requests.insert(0, ("CreateGateway", agentcore.create_request(spec)))
    return [
        f"AWS would refuse {op} of {gateway.type.rsplit(':', 1)[-1]} '{gateway.name}': {v}"
        for op, req in requests
        for v in awsmodel.validate(op, req)
    ]


def critical_path(ev: Evaluation) -> list[str]:
    """The longest chain of resources each waiting on the one before: a lower bound on the
    number of sequential provider calls a real `pulumi up` makes."""
    by_urn = ev.by_urn()
    children: dict[str, list[str]] = {}
    for r in ev.resources:
        children.setdefault(r.parent, []).append(r.urn)

    def expand(urn: str) -> list[str]:
        r = by_urn.get(urn)
        if r is None:
            return []
        if r.custom:
            return [urn]
        # A dependency on a component is a dependency on everything inside it.
        return [u for c in children.get(urn, []) for u in expand(c)]

    custom = sorted(r.urn for r in ev.resources if r.custom)
    deps = {u: sorted({d for dep in by_urn[u].depends_on for d in expand(dep)} - {u}) for u in custom}
    memo: dict[str, list[str]] = {}

    def longest(u: str, stack: frozenset[str] = frozenset()) -> list[str]:
        if u in memo:
            return memo[u]
        best: list[str] = []
        for d in deps[u]:
            if d in stack:
                continue
            chain = longest(d, stack | {u})
            if len(chain) > len(best):
                best = chain
        memo[u] = [*best, u]
        return memo[u]

    best: list[str] = []
    for u in custom:
        chain = longest(u)
        if len(chain) > len(best):
            best = chain
    return best


PolicyRunner = Callable[[Evaluation, Settings, StackConfig], list[dict[str, Any]]]


def _default_policies() -> PolicyRunner | None:
    try:
        from policies.offline import run_policies
    except ImportError:  # the policy pack is optional for the plan
        return None
    return run_policies


def make_plan(
    stack: str,
    *,
    stack_dir: Path = ROOT,
    hook: OutputHook | None = None,
    policies: PolicyRunner | None = None,
) -> Plan:
    """Raises StackFileError or ConfigError for input that is not a valid stack."""
    sc = load_stack(ROOT, stack, stack_dir)
    settings = load_settings(sc.values, stack, sc.secret_keys)
    ev = run_program(sc.values, stack, hook=hook, project=sc.project)
    runner = policies or _default_policies()
    return Plan(
        stack=stack,
        project=sc.project,
        evaluation=ev,
        wiring=wiring_table(ev, settings),
        critical_path=critical_path(ev),
        policies=runner(ev, settings, sc) if runner else [],
        tenant=tenant_view(stack, stack_dir),
        secret_keys=tuple(sorted(sc.secret_keys)),
        notes=reset_notes(ev),
        auth0_scopes=scopes_for(_auth0_types(ev)),
        auth0_read_scopes=scopes_for(_auth0_types(ev), read_only=True),
    )


def _auth0_types(ev: Evaluation) -> set[str]:
    return {r.type for r in ev.resources if r.custom and r.type.startswith("auth0:")} | {
        t for t in ev.invokes if t.startswith("auth0:")
    }


# ---------------------------------------------------------------- rendering


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
    n_components = sum(1 for r in ev.resources if not r.custom and r.type != "pulumi:pulumi:Stack")
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

    lines += ["", f"Critical path ({len(plan.critical_path)} resources in sequence)"]
    for u in plan.critical_path:
        r = by_urn[u]
        lines.append(f"  → {r.type} {r.name}")

    lines += ["", "Policies"]
    if not plan.policies and _default_policies() is None:
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

    if plan.notes:
        lines += ["", "On what already exists"]
        lines += [f"  ! {n}" for n in plan.notes]

    lines += ["", "Outputs"]
    for k in sorted(ev.outputs):
        lines.append(f"  {k}: {_short(ev.outputs[k], 110)}")
    lines += ["", "plan: " + ("FAILED (see ✗ above)" if plan.failed else "ok")]
    return "\n".join(lines)


def _print_policy_config(stack: str, stack_dir: Path) -> int:
    from policies.offline import policy_config_for

    try:
        sc = load_stack(ROOT, stack, stack_dir)
        s = load_settings(sc.values, stack, sc.secret_keys)
    except (StackFileError, ConfigError) as e:
        print(f"plan: Pulumi.{stack}.yaml: {e}", file=sys.stderr)
        return EXIT_INVALID
    t = s.project.tenant
    cfg = policy_config_for(s.issuer, s.auth0_domain, t.manage, t.third_party_clients)
    print(json.dumps(cfg, indent=2, sort_keys=True))
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="make plan", description=__doc__.splitlines()[0] if __doc__ else "")
    ap.add_argument("--stack", required=True, help="stack name: reads Pulumi.<stack>.yaml")
    ap.add_argument("--format", choices=("text", "json"), default="text")
    ap.add_argument("--stack-dir", type=Path, default=ROOT, help="where Pulumi.<stack>.yaml is")
    ap.add_argument(
        "--against",
        metavar="REV",
        help="also plan the stack file and program at git revision REV and show what would be "
        "created, deleted and replaced",
    )
    ap.add_argument(
        "--import-file",
        action="store_true",
        help="print a `pulumi import --file` document for Auth0 resources that already exist, and exit",
    )
    ap.add_argument(
        "--policy-config",
        action="store_true",
        help="print the policy pack config for this stack (for pulumi --policy-pack-config) and exit",
    )
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return EXIT_INVALID if e.code else EXIT_OK
    if args.policy_config:
        return _print_policy_config(args.stack, args.stack_dir)
    try:
        plan = make_plan(args.stack, stack_dir=args.stack_dir)
    except StackFileError as e:
        print(f"plan: {e}", file=sys.stderr)
        return EXIT_INVALID
    except ConfigError as e:
        print(f"plan: Pulumi.{args.stack}.yaml: {e}", file=sys.stderr)
        return EXIT_INVALID
    if args.import_file:
        from offline.adopt import import_file

        print(json.dumps(import_file(plan), indent=2, ensure_ascii=False))
        return EXIT_OK
    doc = to_document(plan)
    changes = None
    if args.against:
        from offline import changes as ch

        try:
            changes = ch.changes_against(args.against, args.stack, args.stack_dir, doc)
        except ch.ChangesError as e:
            print(f"plan: {e}", file=sys.stderr)
            return EXIT_INVALID
    if args.format == "json":
        if changes is not None:
            doc["changes"] = ch.to_document(changes)
        print(json.dumps(doc, indent=2, sort_keys=True))
    else:
        print(render_text(plan))
        if changes is not None:
            print()
            print(ch.render_text(changes))
    return EXIT_FAILED if plan.failed else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
