"""The Auth0 Management API scopes the deployer needs, derived from the calls the provider makes.

CALLS: per resource type and operation, the Management API requests terraform-provider-auth0
v1.55.0 (which pulumi-auth0 bridges) sends, read from its internal/auth0/<resource>/ sources and
go-auth0's management package. ENDPOINT_SCOPES: the scope Auth0's Management API v2 reference
lists for each request (auth0.com/docs/api/management/v2; where it lists several, "expected any
of" in its 403 says one is enough, and the narrowest is taken).

`make plan` prints the set for its stack: everything for `pulumi up`, and the read-only set a
`pulumi preview --refresh` needs (refresh reads every resource; the data source that finds a
shared role by name reads too).
"""

from __future__ import annotations

from collections.abc import Iterable

from rules.types import (
    ACTION,
    API,
    API_SCOPES,
    CLIENT,
    CLIENT_CIMD,
    CLIENT_CREDENTIALS,
    CLIENT_GRANT,
    CONNECTION,
    GET_ROLE,
    ROLE,
    ROLE_PERMISSION,
    TENANT,
    TRIGGER_ACTION,
)

Op = str  # create | read | update | delete

CALLS: dict[str, dict[Op, tuple[str, ...]]] = {
    # tenant/resource.go: create and update PATCH (twice: values, then nulls); delete does nothing.
    TENANT: {
        "create": ("PATCH /tenants/settings",),
        "read": ("GET /tenants/settings",),
        "update": ("PATCH /tenants/settings",),
        "delete": (),
    },
    # connection/resource.go, expand.go: an auth0-strategy update reads the live options first.
    CONNECTION: {
        "create": ("POST /connections",),
        "read": ("GET /connections/{id}",),
        "update": ("GET /connections/{id}", "PATCH /connections/{id}"),
        "delete": ("DELETE /connections/{id}",),
    },
    ROLE: {
        "create": ("POST /roles",),
        "read": ("GET /roles/{id}",),
        "update": ("PATCH /roles/{id}",),
        "delete": ("DELETE /roles/{id}",),
    },
    # role/resource_permission.go: every attribute is ForceNew, so no update.
    ROLE_PERMISSION: {
        "create": ("POST /roles/{id}/permissions",),
        "read": ("GET /roles/{id}/permissions",),
        "update": (),
        "delete": ("DELETE /roles/{id}/permissions",),
    },
    API: {
        "create": ("POST /resource-servers",),
        "read": ("GET /resource-servers/{id}",),
        "update": ("PATCH /resource-servers/{id}",),
        "delete": ("DELETE /resource-servers/{id}",),
    },
    # resourceserver/resource_scopes.go: create reads the API's scopes first; delete PATCHes [].
    API_SCOPES: {
        "create": ("GET /resource-servers/{id}", "PATCH /resource-servers/{id}"),
        "read": ("GET /resource-servers/{id}",),
        "update": ("PATCH /resource-servers/{id}",),
        "delete": ("PATCH /resource-servers/{id}",),
    },
    # client/resource_grant.go: a client grant's create first looks for an existing one.
    CLIENT_GRANT: {
        "create": ("GET /client-grants", "POST /client-grants"),
        "read": ("GET /client-grants/{id}",),
        "update": ("PATCH /client-grants/{id}",),
        "delete": ("DELETE /client-grants/{id}",),
    },
    CLIENT: {
        "create": ("POST /clients",),
        "read": ("GET /clients/{id}",),
        "update": ("PATCH /clients/{id}",),
        "delete": ("DELETE /clients/{id}",),
    },
    # client/resource_cimd.go: create registers the document, then updates and reads the client;
    # every read also previews the document (for its validation result).
    CLIENT_CIMD: {
        "create": (
            "POST /clients/cimd/register",
            "PATCH /clients/{id}",
            "GET /clients/{id}",
            "POST /clients/cimd/preview",
        ),
        "read": ("GET /clients/{id}", "POST /clients/cimd/preview"),
        "update": ("POST /clients/cimd/register (update)", "PATCH /clients/{id}", "GET /clients/{id}"),
        "delete": ("DELETE /clients/{id}",),
    },
    # client/resource_credentials.go (client_secret_post): reads the client (with its secret,
    # for the stack output); delete lists the client's credentials before resetting the method.
    CLIENT_CREDENTIALS: {
        "create": ("GET /clients/{id} (secret)", "PATCH /clients/{id}"),
        "read": ("GET /clients/{id} (secret)",),
        "update": ("GET /clients/{id} (secret)", "GET /clients/{id}/credentials", "PATCH /clients/{id}"),
        "delete": ("GET /clients/{id} (secret)", "GET /clients/{id}/credentials", "PATCH /clients/{id}"),
    },
    # action/resource.go: with deploy, create and update wait for the build, then deploy.
    ACTION: {
        "create": ("POST /actions/actions", "GET /actions/actions/{id}", "POST /actions/actions/{id}/deploy"),
        "read": ("GET /actions/actions/{id}",),
        "update": (
            "GET /actions/actions/{id}",
            "PATCH /actions/actions/{id}",
            "POST /actions/actions/{id}/deploy",
        ),
        "delete": ("DELETE /actions/actions/{id}",),
    },
    # action/resource_trigger_action.go: read-modify-write of the trigger's bindings.
    TRIGGER_ACTION: {
        "create": (
            "GET /actions/triggers/{trigger}/bindings",
            "GET /actions/actions/{id}",
            "PATCH /actions/triggers/{trigger}/bindings",
        ),
        "read": ("GET /actions/triggers/{trigger}/bindings",),
        "update": ("GET /actions/triggers/{trigger}/bindings", "PATCH /actions/triggers/{trigger}/bindings"),
        "delete": ("GET /actions/triggers/{trigger}/bindings", "PATCH /actions/triggers/{trigger}/bindings"),
    },
    # role/data_source.go: by name (name_filter), permissions and users skipped by the program.
    GET_ROLE: {"read": ("GET /roles",)},
}

ENDPOINT_SCOPES: dict[str, str] = {
    "GET /tenants/settings": "read:tenant_settings",
    "PATCH /tenants/settings": "update:tenant_settings",
    "GET /connections/{id}": "read:connections",
    "POST /connections": "create:connections",
    "PATCH /connections/{id}": "update:connections",
    "DELETE /connections/{id}": "delete:connections",
    "GET /roles": "read:roles",
    "GET /roles/{id}": "read:roles",
    "POST /roles": "create:roles",
    "PATCH /roles/{id}": "update:roles",
    "DELETE /roles/{id}": "delete:roles",
    "GET /roles/{id}/permissions": "read:roles",
    "POST /roles/{id}/permissions": "update:roles",
    "DELETE /roles/{id}/permissions": "update:roles",
    "GET /resource-servers/{id}": "read:resource_servers",
    "POST /resource-servers": "create:resource_servers",
    "PATCH /resource-servers/{id}": "update:resource_servers",
    "DELETE /resource-servers/{id}": "delete:resource_servers",
    "GET /client-grants": "read:client_grants",
    "GET /client-grants/{id}": "read:client_grants",
    "POST /client-grants": "create:client_grants",
    "PATCH /client-grants/{id}": "update:client_grants",
    "DELETE /client-grants/{id}": "delete:client_grants",
    "GET /clients/{id}": "read:clients",
    # The secret is in the answer only with read:client_keys (Management API, GET /clients/{id}).
    "GET /clients/{id} (secret)": "read:client_keys",
    "POST /clients": "create:clients",
    "PATCH /clients/{id}": "update:clients",
    "DELETE /clients/{id}": "delete:clients",
    "GET /clients/{id}/credentials": "read:client_credentials",
    # "Create: … requires create:clients; Update: … requires update:clients" (Management API,
    # POST /clients/cimd/register). The preview's scope is not in the excerpts of its reference
    # page seen so far: read:clients is assumed (docs/pending/cimd.md says so).
    "POST /clients/cimd/register": "create:clients",
    "POST /clients/cimd/register (update)": "update:clients",
    "POST /clients/cimd/preview": "read:clients",
    "GET /actions/actions/{id}": "read:actions",
    "POST /actions/actions": "create:actions",
    "PATCH /actions/actions/{id}": "update:actions",
    "DELETE /actions/actions/{id}": "delete:actions",
    "POST /actions/actions/{id}/deploy": "create:actions",
    "GET /actions/triggers/{trigger}/bindings": "read:actions",
    "PATCH /actions/triggers/{trigger}/bindings": "update:actions",
}


def scopes_for(types: Iterable[str], *, read_only: bool = False) -> list[str]:
    """The scopes for the given resource types (and data source tokens): every operation, or
    only reads. A type the table does not know raises KeyError: a new type must be added here."""
    out: set[str] = set()
    for typ in set(types):
        ops = CALLS[typ]
        for op, calls in ops.items():
            if read_only and op != "read":
                continue
            out.update(ENDPOINT_SCOPES[c] for c in calls)
    return sorted(out)


def readme_rows() -> list[str]:
    """The table in docs/deploying.md#auth0-management-api-scopes, one row per type: what the provider
    calls, and the scopes that needs."""
    rows = []
    for typ, ops in CALLS.items():
        calls = "; ".join(f"{op}: {', '.join(c) or '(none)'}" for op, c in ops.items())
        rows.append(f"| `{typ.split(':')[-1]}` | {calls} | {' '.join(f'`{s}`' for s in scopes_for([typ]))} |")
    return rows
