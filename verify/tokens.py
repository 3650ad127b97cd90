"""Access-token validation the way a CUSTOM_JWT authorizer does it, on joserfc (no hand-rolled JOSE).

Used by `make verify` to check a live token and by the sandbox's gateway stand-in to admit one.
Every refusal is a TokenError with a short code, the cause and the fix, so a person reading a
failed check knows what to change.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from joserfc import errors, jws, jwt
from joserfc.jwk import KeySet

ALGORITHMS = ("RS256",)
LEEWAY_SECONDS = 60


class TokenError(Exception):
    def __init__(self, code: str, cause: str, fix: str) -> None:
        super().__init__(f"{code}: {cause}")
        self.code, self.cause, self.fix = code, cause, fix


@dataclass(frozen=True)
class Rules:
    """What a gateway demands of a token (an AgentCore CUSTOM_JWT authorizer's settings)."""

    issuer: str
    audiences: Sequence[str]
    allowed_clients: Sequence[str] = ()
    allowed_scopes: Sequence[str] = ()
    # AgentCore custom claim rules, in the API's shape.
    custom_claims: Sequence[Mapping[str, Any]] = ()
    leeway: int = LEEWAY_SECONDS


# Auth0's longest access token lifetime: an API's token_lifetime is at most 2592000 s (30 days).
MAX_LIFETIME_SECONDS = 2_592_000 + LEEWAY_SECONDS


def _time_claim(claims: Mapping[str, Any], name: str) -> float | None:
    """A NumericDate (RFC 7519 §2): a finite number, not a boolean. NaN would slip past every
    comparison (each is False) and infinity past the expiry check, so both are refused."""
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise TokenError(
            "absurd-time",
            f"{name} is {value!r}, not a finite NumericDate",
            "the token was not issued by Auth0 as is; get one from the issuer's /oauth/token",
        )
    return float(value)


def header_of(token: str) -> dict[str, Any]:
    try:
        return dict(jws.extract_compact(token.encode()).protected)
    except (errors.JoseError, ValueError, UnicodeError) as e:
        raise TokenError(
            "malformed", f"not a compact JWS ({type(e).__name__})", "send the access_token as issued"
        ) from None


def _claim_rule_ok(claims: Mapping[str, Any], rule: Mapping[str, Any]) -> tuple[bool, str]:
    name = str(rule.get("inboundTokenClaimName", ""))
    match = rule.get("authorizingClaimMatchValue") or {}
    op = match.get("claimMatchOperator")
    want = match.get("claimMatchValue") or {}
    value = claims.get(name)
    if op == "EQUALS":
        return value == want.get("matchValueString"), f"{name} EQUALS {want.get('matchValueString')!r}"
    if op == "CONTAINS":
        return isinstance(value, list) and want.get("matchValueString") in value, (
            f"{name} CONTAINS {want.get('matchValueString')!r}"
        )
    if op == "CONTAINS_ANY":
        options = list(want.get("matchValueStringList") or [])  # the AgentCore API's name
        return isinstance(value, list) and any(o in value for o in options), f"{name} CONTAINS_ANY {options!r}"
    return False, f"{name}: unknown operator {op!r}"


def validate(token: str, jwks: Mapping[str, Any], rules: Rules, *, now: float | None = None) -> dict[str, Any]:
    """The token's claims if it is good for `rules`; TokenError naming the first problem."""
    header = header_of(token)
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise TokenError(
            "bad-alg",
            f"token alg is {alg!r}; only RS256 is accepted",
            "keep the Auth0 API's signing algorithm RS256 (never none or HS256)",
        )
    kid = header.get("kid")
    keys = [k for k in jwks.get("keys", []) if isinstance(k, Mapping)]
    matching = [k for k in keys if k.get("kid") == kid]
    if not kid or not matching:
        raise TokenError(
            "unknown-kid",
            f"token kid {kid!r} is not in the issuer's JWKS",
            "the token was signed by another tenant or a rotated key: check the discovery URL's issuer, "
            "and get a fresh token",
        )
    try:
        key_set = KeySet.import_key_set({"keys": [dict(k) for k in matching]})
        claims = dict(jwt.decode(token, key_set, algorithms=list(ALGORITHMS)).claims)
    except errors.BadSignatureError:
        raise TokenError(
            "bad-signature",
            f"signature does not verify with JWKS key {kid!r}",
            "the token was not issued by this issuer (or was altered); get one from the issuer's /oauth/token",
        ) from None
    except (errors.JoseError, ValueError) as e:
        raise TokenError(
            "malformed", f"token does not decode: {type(e).__name__}", "send the access_token as issued"
        ) from None

    t = time.time() if now is None else now
    exp = _time_claim(claims, "exp")
    if exp is None:
        raise TokenError("no-exp", "token has no exp", "tokens without an expiry are refused; check the issuer")
    if exp + rules.leeway < t:
        raise TokenError("expired", f"token expired {int(t - exp)} s ago", "get a new token")
    if exp - t > MAX_LIFETIME_SECONDS:
        raise TokenError(
            "absurd-time",
            f"exp is {int(exp - t)} s away, more than {MAX_LIFETIME_SECONDS} s",
            "Auth0 access tokens last at most 30 days (token_lifetime); check the issuer and its clock",
        )
    nbf = _time_claim(claims, "nbf")
    if nbf is not None and nbf - rules.leeway > t:
        raise TokenError("not-yet-valid", f"token not valid for another {int(nbf - t)} s", "check clocks")
    iat = _time_claim(claims, "iat")
    if iat is not None and iat - rules.leeway > t:
        raise TokenError("not-yet-valid", f"token issued {int(iat - t)} s in the future", "check clocks")
    if claims.get("iss") != rules.issuer:
        raise TokenError(
            "issuer-mismatch",
            f"iss {claims.get('iss')!r} != {rules.issuer!r}",
            "point the discovery URL at the issuer that signs the tokens (custom domains issue their own iss)",
        )
    aud = claims.get("aud")
    auds = aud if isinstance(aud, list) else [aud]
    if not any(a in rules.audiences for a in auds):
        near = [a for a in auds if isinstance(a, str) and a.rstrip("/") in {x.rstrip("/") for x in rules.audiences}]
        hint = " (they differ only by a trailing slash)" if near else ""
        raise TokenError(
            "audience-mismatch",
            f"aud {aud!r} is not an allowed audience {list(rules.audiences)!r}{hint}",
            "make the Auth0 API identifier, the requested audience/resource and the gateway's allowed audience "
            "the same bytes",
        )
    if rules.allowed_clients:
        cid = claims.get("client_id")
        if cid not in rules.allowed_clients:
            raise TokenError(
                "client-not-allowed",
                f"client_id {cid!r} is not in allowedClients {list(rules.allowed_clients)!r} "
                "(Auth0 access tokens carry azp, not client_id)",
                "remove allowedClients from the authorizer; for Auth0 the audience is the gate",
            )
    if rules.allowed_scopes:
        # The token's `scope` must hold any one of the allowed scopes (AWS, AgentCore developer
        # guide, "Configure inbound JWT authorizer", Allowed scopes: at least one must match).
        scopes = str(claims.get("scope", "")).split()
        if not set(scopes) & set(rules.allowed_scopes):
            raise TokenError(
                "scope-not-allowed",
                f"scope {scopes!r} holds none of the allowed scopes {list(rules.allowed_scopes)!r}",
                "grant the client the allowed scope (the permission the gateway requires)",
            )
    for rule in rules.custom_claims:
        ok, what = _claim_rule_ok(claims, rule)
        if not ok:
            raise TokenError(
                "missing-permission",
                f"claim rule failed: {what} (token has {claims.get(str(rule.get('inboundTokenClaimName')))!r})",
                "grant the permission (role or client grant scope) the gateway requires",
            )
    return claims
