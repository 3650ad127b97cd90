"""Every scope a stack names is one its API defines: the config's roles, gateways, machine clients
and elevated permissions against `mcpauth:scopes`, and a preview's role permissions, client grants
and claim rules against the API's scope resources. One rule, written once, over either input.

A permission the API does not define is a typo: nobody can be granted it through the API's
consent or RBAC, so a gateway that requires it refuses every token. Whether Auth0's Management API
itself refuses a role permission or client-grant scope the API does not define is not confirmed
(docs/assumptions.md#an-undefined-scope-in-a-role-permission-or-grant), so the rule does not lean on it.
"""

from __future__ import annotations

from collections.abc import Collection


def undefined_scope(scope: str, defined: Collection[str], where: str) -> str | None:
    """None when `scope` is one of `defined`; otherwise why not, naming `where` the scopes are
    defined and what they are: `not a scope defined in mcpauth:scopes (read:tools, …)`."""
    if scope in defined:
        return None
    return f"not a scope defined {where} ({', '.join(sorted(defined)) or 'none'})"
