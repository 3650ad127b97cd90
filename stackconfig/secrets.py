"""Keys set with `--secret`: never echoed in an error, refused where their value would be kept in
plain text (structural keys), and explained where the offline plan cannot decrypt them."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

# A quoted value longer than this is shown cut in an error: a 200 KB line helps nobody, and a
# problem line should fit a terminal and a CI log.
SHOWN_MAX = 120
# A Python repr in an error: a quote not inside a word (so not an apostrophe) up to its closing quote.
_QUOTED = re.compile(
    r"(?<!\w)(?:'(?:[^'\\\n]|\\.){N,}'|\"(?:[^\"\\\n]|\\.){N,}\")(?!\w)".replace("N", str(SHOWN_MAX + 1))
)


def cut(text: str) -> str:
    """`text` with each quoted value (the errors quote values as Python reprs) over SHOWN_MAX
    characters cut to its start and its length."""

    def short(m: re.Match[str]) -> str:
        quoted = m.group(0)
        return f"{quoted[:61]}…{quoted[0]} ({len(quoted) - 2} characters)"

    return _QUOTED.sub(short, text)


def _leaves(value: Any) -> list[str]:
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return [value]
        return [value, *(_leaves(parsed) if not isinstance(parsed, str) else [])]
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    return []


def redact(problems: list[str], raw: Mapping[str, Any], secret_keys: frozenset[str]) -> list[str]:
    """A value set with `--secret` never reaches an error message in plain text."""
    secrets = sorted(
        {x for k in secret_keys if k in raw for x in _leaves(raw[k]) if len(x) >= 4},
        key=len,
        reverse=True,
    )
    out = []
    for p in problems:
        for s in secrets:
            p = p.replace(repr(s), "[secret]").replace(s, "[secret]")
        out.append(p)
    return out


# Keys whose values the program turns into resource names (URNs), resource options and
# settings: Pulumi stores these in plain text, so a value set with `--secret` could not stay
# secret (Pulumi hands a program a secret key's whole value, so a secret part of one of them
# marks it all). The scalar keys (issuer, auth0:domain) may be secrets: what the program derives
# from them it declares secret.
PLAIN_ONLY = {
    "gateways": "gateway names become resource names and the AgentCore gateway's name",
    "machineClients": "client names become resource names",
    "roles": "role keys and names become resource names and Auth0 role names",
    "scopes": "scope names become resource names and the API's permissions",
    "tenant": "it sets the connection's name, the roles' and the tenant's settings",
    "protect": "it decides each resource's protect option",
}

# What `make plan` reads a `secure:` value as (offline/stackfile.py): it cannot decrypt it.
OFFLINE_SECRET = "[secret]"


def offline_secret_note(key: str) -> str:
    return (
        f"{key} is set with `secure:`, which `make plan` cannot decrypt offline, so it read {OFFLINE_SECRET}. "
        f"Keep settings that are not credentials in plain text (`pulumi config set {key} …` without "
        "--secret), or check this stack with `make preview`, which decrypts it"
    )


def explain_offline_secrets(problems: list[str], raw: Mapping[str, Any], secret_keys: frozenset[str]) -> list[str]:
    """A problem about a value that the offline plan could not decrypt says so, and what to do,
    instead of blaming a value the user never wrote."""
    unread = [k for k in secret_keys if OFFLINE_SECRET in _leaves(raw.get(k))]
    out = []
    for p in problems:
        key = next((k for k in unread if p.startswith(k) and p[len(k) : len(k) + 1] in (":", "[", ".")), None)
        out.append(f"{p} ({offline_secret_note(key)})" if key and OFFLINE_SECRET in p and "`secure:`" not in p else p)
    return out
