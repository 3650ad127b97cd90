"""What the models cannot check field by field: references between keys (a machine client's
gateway, a default role), role ids and names, the connection, what AgentCore accepts as a required
permission, the tenant's audience settings. Each problem names the key path the user typed."""

from __future__ import annotations

from urllib.parse import urlsplit

from rules.claims import CLAIM_VALUE_RE, SCOPE_VALUE_RE, VALUE_MAX
from rules.naming import cimd_slug, slug
from rules.scopes import undefined_scope
from rules.wiring import audience_resolution_problems
from stackconfig.model import NAMESPACE, ROLE_ID_RE, SCOPE_RE, ProjectConfig, TenantConfig, check_role_name
from stackconfig.targets import check_targets


def https_host_only(key: str, value: str, problems: list[str], *, allow_slash: bool) -> None:
    parts = urlsplit(value)
    if parts.scheme != "https":
        problems.append(f"{key}: got {value!r}: must start with https://")
        return
    path_ok = parts.path in ("", "/") if allow_slash else parts.path == ""
    if not parts.hostname or not path_ok or parts.query or parts.fragment or parts.username:
        problems.append(f"{key}: got {value!r}: must be https://<host>/ with no path, query or fragment")


def check_references(cfg: ProjectConfig, problems: list[str]) -> None:
    p = NAMESPACE + ":"
    scopes = set(cfg.scopes)

    for scope in cfg.scopes:
        if not SCOPE_RE.fullmatch(scope):
            problems.append(f"{p}scopes: key {scope!r} is not one OAuth scope token (no spaces)")

    # Scope slugs and role ids become parts of Pulumi resource names: two scopes that differ
    # only in punctuation or case (read:tools, read_tools) would collide there.
    by_slug: dict[str, str] = {}
    for n in cfg.scopes:
        other = by_slug.setdefault(slug(n), n)
        if other != n:
            problems.append(f"{p}scopes: {n!r} and {other!r} differ only in case or punctuation; rename one")

    def check_scope(path: str, scope: str) -> None:
        problem = undefined_scope(scope, scopes, f"in {p}scopes")
        if problem:
            problems.append(f"{path}: got {scope!r}: {problem}")

    defined = ", ".join(sorted(scopes)) or "none"
    _check_roles(cfg, problems)
    if "roles" not in cfg.model_fields_set:
        # The defaults hold the default scopes: name the default, not keys the user never wrote.
        missing = list(dict.fromkeys(s for r in cfg.role_specs for s in r.permissions if s not in scopes))
        if missing:
            problems.append(
                f"{p}roles: not set, so the default roles ({', '.join(r.name for r in cfg.role_specs)}) apply, "
                f"and they hold {', '.join(repr(s) for s in missing)}, which {p}scopes does not define "
                f"({defined}); set {p}roles to roles of your scopes, or define those scopes"
            )
    else:
        for role in cfg.role_specs:
            short = isinstance(cfg.roles[role.key], list)
            for i, s in enumerate(role.permissions):
                check_scope(f"{p}roles.{role.key}{'' if short else '.permissions'}[{i}]", s)

    if not cfg.gateways:
        problems.append(f"{p}gateways: must list at least one gateway")
    seen: dict[str, int] = {}
    seen_existing: dict[str, int] = {}
    for gi, gw in enumerate(cfg.gateways):
        if gw.name in seen:
            problems.append(f"{p}gateways[{gi}].name: got {gw.name!r}: already used by {p}gateways[{seen[gw.name]}]")
        seen.setdefault(gw.name, gi)
        if gw.existing_gateway_id:
            first = seen_existing.setdefault(gw.existing_gateway_id, gi)
            if first != gi:
                problems.append(
                    f"{p}gateways[{gi}].existingGatewayId: got {gw.existing_gateway_id!r}: "
                    f"already adopted by {p}gateways[{first}]"
                )
        for i, s in enumerate(gw.required_permissions):
            check_scope(f"{p}gateways[{gi}].requiredPermissions[{i}]", s)
        _check_required_permissions(f"{p}gateways[{gi}].requiredPermissions", gw.required_permissions, problems)
        for i, s in enumerate(gw.third_party_scopes or []):
            check_scope(f"{p}gateways[{gi}].thirdPartyScopes[{i}]", s)
        problems.extend(check_targets(f"{p}gateways[{gi}]", gw.targets, gw.tool_access))
        for permission in gw.tool_access.grants:
            check_scope(f"{p}gateways[{gi}].toolAccess.grants.{permission}", permission)
        if gw.tool_access.grants and not gw.targets:
            problems.append(f"{p}gateways[{gi}].toolAccess.grants: the gateway has no targets whose tools to grant")

    gateways = ", ".join(seen) or "none"
    seen_clients: dict[str, int] = {}
    for ci, mc in enumerate(cfg.machine_clients):
        if mc.name in seen_clients:
            problems.append(
                f"{p}machineClients[{ci}].name: got {mc.name!r}: already used by "
                f"{p}machineClients[{seen_clients[mc.name]}]"
            )
        seen_clients.setdefault(mc.name, ci)
        if mc.gateway not in seen:
            problems.append(
                f"{p}machineClients[{ci}].gateway: got {mc.gateway!r}: not a gateway in {p}gateways ({gateways})"
            )
        for i, s in enumerate(mc.scopes):
            check_scope(f"{p}machineClients[{ci}].scopes[{i}]", s)

    t = cfg.tenant
    _check_connection(t, problems)
    _check_metadata_documents(t, problems)
    if t.default_role is not None:
        if not t.manage:
            problems.append(
                f"{p}tenant.defaultRole: is set while {p}tenant.manage is false; the stack that owns the tenant "
                "(and its Action) assigns it"
            )
        elif cfg.default_role_spec is None:
            known = ", ".join(r.key for r in cfg.role_specs) or "none"
            problems.append(f"{p}tenant.defaultRole: got {t.default_role!r}: not a role in {p}roles ({known})")
    if t.claims.admin_email_domain and "elevated_permissions" not in t.claims.model_fields_set:
        missing = [s for s in t.claims.elevated_permissions if s not in scopes]
        if missing:
            problems.append(
                f"{p}tenant.claims.elevatedPermissions: not set, so the default {t.claims.elevated_permissions!r} "
                f"applies with adminEmailDomain, and {p}scopes does not define "
                f"{', '.join(repr(s) for s in missing)} ({defined}); set elevatedPermissions to scopes you define"
            )
    elif t.claims.admin_email_domain:
        for i, s in enumerate(t.claims.elevated_permissions):
            check_scope(f"{p}tenant.claims.elevatedPermissions[{i}]", s)
    if t.owner is not None and t.manage:
        problems.append(
            f"{p}tenant.owner: is set while {p}tenant.manage is true; a stack that owns the tenant has no owner "
            f"(set {p}tenant.manage: false in a team stack, or remove owner)"
        )
    if t.team_stacks and not t.manage:
        problems.append(
            f"{p}tenant.teamStacks: is set while {p}tenant.manage is false; only the owner's Action reads the "
            "teams' APIs (move it to the stack with manage: true)"
        )
    if t.default_audience is not None:
        if not t.manage:
            problems.append(
                f"{p}tenant.defaultAudience: is set while {p}tenant.manage is false; "
                "only the stack that manages the tenant may set its default audience"
            )
        elif t.default_audience not in seen:
            problems.append(
                f"{p}tenant.defaultAudience: got {t.default_audience!r}: not a gateway in {p}gateways ({gateways})"
            )
        else:
            # A default audience serves one API (rules.wiring, where the pack and the plan check it too).
            for problem in audience_resolution_problems(t.resource_parameter_profile, True, len(cfg.gateways)):
                problems.append(f"{p}tenant.defaultAudience: got {t.default_audience!r}: {problem}")


def _check_metadata_documents(t: TenantConfig, problems: list[str]) -> None:
    """CIMD in two modes, as Auth0 has it (auth0.com/docs/get-started/auth0-overview/
    create-applications/cimd-overview): manual registration of known metadata documents (GA), or
    dynamic registration (Early Access). The tenant flag alone "advertises" CIMD and registers no
    client, and MCP clients prefer CIMD where it is advertised, so `true` on the owner would turn
    every CIMD-capable client away."""
    key = f"{NAMESPACE}:tenant.clientIdMetadataDocuments"
    cimd = t.client_id_metadata_documents
    if t.manage and cimd is True:
        problems.append(
            f"{key}: got true: the tenant flag alone only advertises CIMD, and Auth0 then refuses every "
            "client that uses it. Say which: {clients: [https://<client>/<path>.json, ...]} registers those "
            "clients' metadata documents (manual CIMD), {dynamic: true} says the tenant has Auth0's dynamic "
            "CIMD registration (Early Access) enabled; false turns CIMD off"
        )
    if not t.manage and not isinstance(cimd, bool):
        problems.append(
            f"{key}: is an object while {NAMESPACE}:tenant.manage is false; the stack that owns the tenant "
            "registers CIMD clients and sets dynamic CIMD. Here say true if the owner advertises CIMD, else false"
        )
    by_slug: dict[str, str] = {}
    for i, url in enumerate(t.cimd_clients):
        # The URL names the client's Pulumi resource (components/tenant.py).
        other = by_slug.setdefault(cimd_slug(url), url)
        if other != url:
            problems.append(f"{key}.clients[{i}]: got {url!r}: differs from {other!r} only in punctuation or case")


def _check_roles(cfg: ProjectConfig, problems: list[str]) -> None:
    """Ids unique (they key the resources), names unique (non-owner stacks find roles by name),
    names Auth0 can hold, previous ids that are not current ones."""
    p = f"{NAMESPACE}:roles"
    specs = cfg.role_specs
    by_id: dict[str, str] = {}
    by_name: dict[str, str] = {}
    for r in specs:
        if isinstance(cfg.roles[r.key], list):
            try:
                check_role_name(r.key)
            except ValueError as e:
                problems.append(f"{p}: key {r.key[:60]!r}: a role name {e}")
        first = by_id.setdefault(r.id, r.key)
        if first != r.key:
            problems.append(
                f"{p}.{r.key}: has id {r.id!r}, as {first!r} does (ids key the Pulumi resources); "
                "give one an `id` of its own"
            )
        first = by_name.setdefault(r.name, r.key)
        if first != r.key:
            problems.append(f"{p}.{r.key}: has name {r.name!r}, as {first!r} does; role names must be unique")
    current = set(by_id)
    for r in specs:
        for i, pid in enumerate(r.previous_ids):
            if not ROLE_ID_RE.fullmatch(pid):
                problems.append(f"{p}.{r.key}.previousIds[{i}]: got {pid!r}: not a role id (e.g. mcp-user)")
            elif pid in current:
                problems.append(f"{p}.{r.key}.previousIds[{i}]: got {pid!r}: a current role's id")


# Connection options this program sets itself; `connection.options` may not override them.
_OWNED_OPTIONS = {
    "disable_signup": "set it with mcpauth:tenant.connection.disableSignup",
    "brute_force_protection": "always on: a public login page without it invites credential stuffing",
}


def _connection_option_names() -> set[str]:
    import inspect

    from pulumi_auth0 import ConnectionOptionsArgs

    return {p for p in inspect.signature(ConnectionOptionsArgs.__init__).parameters if p not in ("self", "__self__")}


def _check_connection(t: TenantConfig, problems: list[str]) -> None:
    key = f"{NAMESPACE}:tenant.connection"
    c = t.connection
    if t.manage and t.third_party_clients and not c.disable_signup and not c.public_signup:
        problems.append(
            f"{key}.disableSignup: is false on a domain-level connection while dynamic client registration or "
            "CIMD is on: anyone could create an account through any client that registers itself. Set "
            f"disableSignup: true and create users yourself, or say {key}.publicSignup: true if that is the intent"
        )
    if not c.options:
        return
    accepted = _connection_option_names()
    for name in c.options:
        if name in _OWNED_OPTIONS:
            problems.append(f"{key}.options.{name}: not here: {_OWNED_OPTIONS[name]}")
        elif name not in accepted:
            problems.append(
                f"{key}.options.{name}: not an option of the auth0 connection; accepted (pulumi_auth0 "
                f"ConnectionOptionsArgs): {', '.join(sorted(accepted - set(_OWNED_OPTIONS)))}"
            )


def _check_required_permissions(key: str, perms: list[str], problems: list[str]) -> None:
    """What AgentCore accepts for `permission_rules` (rules/claims.py): a claim-rule value
    ([A-Za-z0-9_.-]+), or one allowed scope ([\\x21\\x23-\\x5B\\x5D-\\x7E]+), 1-255 characters."""
    scoped: list[str] = []
    for i, perm in enumerate(perms):
        if len(perm) > VALUE_MAX:
            problems.append(f"{key}[{i}]: {len(perm)} characters; AgentCore takes at most {VALUE_MAX}")
        elif CLAIM_VALUE_RE.fullmatch(perm):
            continue
        elif not SCOPE_VALUE_RE.fullmatch(perm):
            problems.append(
                f"{key}[{i}]: got {perm!r}: AgentCore can require it neither as a claim value ([A-Za-z0-9_.-]+) "
                'nor as an allowed scope (printable ASCII without space, " or \\)'
            )
        else:
            scoped.append(perm)
    if len(scoped) > 1:
        # Claim-rule values exclude ':' (model: MatchValueString), and a token needs any one of the
        # allowed scopes (AWS, "Configure inbound JWT authorizer", Allowed scopes): all-of for
        # several such permissions needs a Cedar policy engine, which is not set up yet.
        problems.append(
            f"{key}: {', '.join(repr(x) for x in scoped)} must all hold, but AgentCore cannot require all of "
            "them: a claim rule's value may not contain ':', and a token needs only any one of a gateway's "
            "allowed scopes. Accepted: at most one permission with ':' per gateway (its allowed scope), and any "
            "number named with letters, digits, '_', '.' and '-' only (e.g. tools.execute; each becomes a claim "
            "rule, and every claim rule must hold). Requiring several ':' permissions at once needs AgentCore's "
            "policy engine (Cedar), which mcpauth does not set up yet"
        )
