"""The sandbox gateway's admission of a token: what AgentCore's CUSTOM_JWT authorizer checks, with
the semantics mcpauth chose for it (docs/configuration.md#required-permissions-on-the-gateway), written a
second time on purpose, on PyJWT rather than verify's joserfc, so that a mistake in one
validator is not vouched for by the other.

- signature: RS256 only, the key named by `kid` from the issuer's JWKS (found through the
  authorizer's discovery URL);
- `exp` (with `iat`/`nbf` if present) checked, 60 s leeway, each a finite non-negative number;
  no ceiling on `exp` (a 30-day ceiling is Auth0's, which `make verify` knows and AgentCore does
  not document);
- `iss` equal to the discovery document's `issuer`;
- `aud` (a string or a list) holding one of the allowed audiences;
- `client_id` among the allowed clients, when there are any (Auth0 tokens carry `azp`, so any
  allowedClients list refuses them);
- any one of the allowed scopes present in the space-separated `scope`, when there are any (AWS,
  AgentCore developer guide, "Configure inbound JWT authorizer", Allowed scopes: at least one of
  the token's scopes must match one of the configured values);
- every custom claim rule (EQUALS, CONTAINS, CONTAINS_ANY) holding.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Protocol

import jwt

LEEWAY_SECONDS = 60


class Refused(Exception):
    """The token is not admitted; `reason` stays inside the stand-in (its 401 does not say it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Authorizer(Protocol):
    allowed_audiences: list[str]
    allowed_clients: list[str]
    allowed_scopes: list[str]
    custom_claims: list[dict[str, Any]]


def _rule_holds(claims: Mapping[str, Any], rule: Mapping[str, Any]) -> bool:
    value = claims.get(str(rule.get("inboundTokenClaimName", "")))
    match = rule.get("authorizingClaimMatchValue") or {}
    want = match.get("claimMatchValue") or {}
    operator = match.get("claimMatchOperator")
    if operator == "EQUALS":
        return bool(value == want.get("matchValueString"))
    if operator == "CONTAINS":
        return isinstance(value, list) and want.get("matchValueString") in value
    if operator == "CONTAINS_ANY":
        # Membership, not a set: a claim's items may be lists or objects, which are not hashable.
        return isinstance(value, list) and any(v in value for v in want.get("matchValueStringList") or [])
    return False


def admit(token: str, jwks: Mapping[str, Any], issuer: str, authorizer: Authorizer) -> dict[str, Any]:
    """The token's claims if the authorizer admits it; Refused otherwise."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise Refused("malformed") from None
    if header.get("alg") != "RS256":
        raise Refused("bad-alg")
    keys = [k for k in jwks.get("keys", []) if isinstance(k, Mapping) and k.get("kid") == header.get("kid")]
    if not header.get("kid") or not keys:
        raise Refused("unknown-kid")
    try:
        key = jwt.PyJWK.from_dict(dict(keys[0]))
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp"], "verify_aud": False},
        )
    except jwt.ExpiredSignatureError:
        raise Refused("expired") from None
    except jwt.InvalidIssuerError:
        raise Refused("issuer-mismatch") from None
    except (jwt.ImmatureSignatureError, jwt.InvalidIssuedAtError):
        raise Refused("not-yet-valid") from None
    except jwt.InvalidSignatureError:
        raise Refused("bad-signature") from None
    except jwt.PyJWTError:
        raise Refused("malformed") from None
    for name in ("exp", "nbf", "iat"):
        # A NumericDate is a JSON number (RFC 7519 §2); PyJWT takes "123" and negative times.
        value = claims.get(name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0
        ):
            raise Refused("absurd-time")
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [] if aud is None else [aud]
    if not all(isinstance(a, str) for a in audiences):
        # `aud` is a string or an array of strings (RFC 7519 §4.1.3): anything else is an invalid
        # token, refused (401) as AgentCore refuses one, never a crash (500).
        raise Refused("malformed")
    if not set(audiences) & set(authorizer.allowed_audiences):
        raise Refused("audience-mismatch")
    if authorizer.allowed_clients and claims.get("client_id") not in authorizer.allowed_clients:
        raise Refused("client-not-allowed")
    granted = str(claims.get("scope", "")).split()
    # Any one of them, not all (AWS, inbound JWT authorizer, "Allowed scopes"); claim rules, below, all.
    if authorizer.allowed_scopes and not set(granted) & set(authorizer.allowed_scopes):
        raise Refused("scope-not-allowed")
    if not all(_rule_holds(claims, rule) for rule in authorizer.custom_claims):
        raise Refused("missing-permission")
    return claims
