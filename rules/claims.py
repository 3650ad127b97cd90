"""How a gateway requires a permission: AgentCore's claim rules and allowed scopes, and the values
each accepts. Pure; shared by the program, the config validation, the plan, verify and the tests."""

from __future__ import annotations

import re
from typing import Any

# Where AgentCore accepts a required permission (model, CustomJWTAuthorizerConfiguration): a claim
# rule's value is MatchValueString [A-Za-z0-9_.-]+ (no `:`); an allowed scope is AllowedScopeType
# [\x21\x23-\x5B\x5D-\x7E]+ (`:` allowed); 1-255 characters each.
CLAIM_VALUE_RE = re.compile(r"[A-Za-z0-9_.-]+")
SCOPE_VALUE_RE = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]+")
VALUE_MAX = 255


def permission_rules(required_permissions: list[str]) -> tuple[list[str], list[dict[str, Any]]]:
    """(allowedScopes, customClaims) that make a gateway require every permission.

    A CUSTOM_JWT authorizer checks all of its settings and every custom claim rule (AgentCore
    developer guide, "Configure inbound JWT authorizer"), so each permission AgentCore accepts as a
    claim value gets its own rule on the token's `permissions` array: CONTAINS_ANY of a one-item
    list, the operator both AWS's guide (for STRING_ARRAY it "must be CONTAINS_ANY") and the model
    ("contains any of the strings") give for arrays. A permission with `:` (the Auth0/MCP
    convention, `read:tools`) cannot be a claim value, only an allowed scope, and a token needs
    just *one* of several allowed scopes (same page, "Allowed scopes"): so the config allows at
    most one such permission per gateway, and requiring several at once waits for the policy
    engine (Cedar). `stackconfig.settings` refuses anything else before this runs.
    """
    scopes = [p for p in required_permissions if not CLAIM_VALUE_RE.fullmatch(p)]
    claims = [
        {
            "inboundTokenClaimName": "permissions",
            "inboundTokenClaimValueType": "STRING_ARRAY",
            "authorizingClaimMatchValue": {
                "claimMatchOperator": "CONTAINS_ANY",
                "claimMatchValue": {"matchValueStringList": [p]},
            },
        }
        for p in required_permissions
        if CLAIM_VALUE_RE.fullmatch(p)
    ]
    return scopes, claims
