"""The AWS provider's stack config (`aws:*`), read once so the AgentCore calls we make ourselves go
to the same account, partition and endpoint as pulumi-aws's (the gateway's IAM role).

pulumi-aws's keys are its Terraform provider's settings (pulumi_aws/config/vars.py lists them). Each
is either honoured by `agentcore.client.make_client`, refused with the reason (we would call
AWS as someone else, or somewhere else, than pulumi-aws does), or has no bearing on where and as
whom calls go.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

HONOURED = (
    "region",
    "profile",
    "assumeRoles",
    "endpoints",
    "stsRegion",
    "sharedConfigFiles",
    "sharedCredentialsFiles",
    "useFipsEndpoint",
    "useDualstackEndpoint",
    "allowedAccountIds",
    "forbiddenAccountIds",
    "defaultTags",
)
REFUSED = {
    "accessKey": "static keys in stack config",
    "secretKey": "static keys in stack config",
    "token": "static keys in stack config",
    "assumeRoleWithWebIdentity": "web-identity role assumption",
    "customCaBundle": "a custom CA bundle",
    "httpProxy": "an HTTP proxy",
    "httpsProxy": "an HTTP proxy",
    "noProxy": "an HTTP proxy",
    "insecure": "TLS verification turned off",
}
# The pulumi-aws endpoint keys for the two services we call (pulumi_aws/config/outputs.py, Endpoints).
ENDPOINT_KEYS = {"bedrockagentcore": "endpoint", "sts": "stsEndpoint"}
_ASSUME_ROLE_KEYS = {
    "roleArn",
    "sessionName",
    "externalId",
    "duration",
    "policy",
    "policyArns",
    "sourceIdentity",
    "tags",
    "transitiveTagKeys",
}
_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def _parse(value: Any) -> Any:
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _bool(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _seconds(duration: str) -> int | None:
    """A Go duration as pulumi-aws takes it ("1h", "15m", "1h30m", "900s")."""
    m = _DURATION.fullmatch(duration.strip())
    if not duration.strip() or not m:
        return None
    h, mi, s = (int(x or 0) for x in m.groups())
    return h * 3600 + mi * 60 + s


def client_settings(raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """(the `aws` property our gateway resource takes, default tags, problems), from the stack's
    `aws:*` config as Pulumi hands it to a program (structured values as JSON text)."""
    problems: list[str] = []
    out: dict[str, Any] = {}
    cfg = {k.partition(":")[2]: _parse(v) for k, v in raw.items() if k.startswith("aws:")}
    for key, what in REFUSED.items():
        if cfg.get(key) not in (None, "", False, "false"):
            problems.append(
                f"aws:{key}: is set, which means {what} for pulumi-aws; the gateway is managed by calls this "
                "program makes with boto3, which cannot honour it, so they would go elsewhere or as someone "
                f"else. Unset aws:{key} and use the environment or an AWS profile (aws:profile) instead"
            )
    if cfg.get("profile"):
        out["profile"] = str(cfg["profile"])
    for key, single in (("sharedConfigFiles", "sharedConfigFile"), ("sharedCredentialsFiles", "sharedCredentialsFile")):
        files = cfg.get(key)
        if files in (None, "", []):
            continue
        if not isinstance(files, list) or len(files) != 1 or not isinstance(files[0], str):
            problems.append(f"aws:{key}: got {files!r}: boto3 reads one file; give a list of exactly one path")
        else:
            out[single] = files[0]
    roles = cfg.get("assumeRoles")
    if roles not in (None, "", []):
        if not isinstance(roles, list):
            problems.append(f"aws:assumeRoles: got {roles!r}: must be a list of {{roleArn, ...}}")
        else:
            chain: list[dict[str, Any]] = []
            for i, role in enumerate(roles):
                if not isinstance(role, dict) or not role.get("roleArn"):
                    problems.append(f"aws:assumeRoles[{i}]: must have a roleArn")
                    continue
                unknown = sorted(set(role) - _ASSUME_ROLE_KEYS)
                if unknown:
                    problems.append(
                        f"aws:assumeRoles[{i}]: unknown key(s) {', '.join(unknown)}; accepted: "
                        + ", ".join(sorted(_ASSUME_ROLE_KEYS))
                    )
                hop = {k: role[k] for k in sorted(_ASSUME_ROLE_KEYS & set(role))}
                if "duration" in hop:
                    secs = _seconds(str(hop.pop("duration")))
                    if secs is None or not 900 <= secs <= 43200:
                        problems.append(
                            f"aws:assumeRoles[{i}].duration: got {role['duration']!r}: a duration between 15m and "
                            "12h, e.g. 1h"
                        )
                    else:
                        hop["durationSeconds"] = secs
                chain.append(hop)
            out["assumeRoles"] = chain
    endpoints = cfg.get("endpoints")
    if endpoints not in (None, "", []):
        items = endpoints if isinstance(endpoints, list) else [endpoints]
        for item in items:
            if isinstance(item, dict):
                for key, target in ENDPOINT_KEYS.items():
                    if item.get(key):
                        out[target] = str(item[key])
    if cfg.get("stsRegion"):
        out["stsRegion"] = str(cfg["stsRegion"])
    for key in ("useFipsEndpoint", "useDualstackEndpoint"):
        if _bool(cfg.get(key)):
            out[key] = True
    for key in ("allowedAccountIds", "forbiddenAccountIds"):
        ids = cfg.get(key)
        if ids not in (None, "", []):
            if not isinstance(ids, list) or not all(isinstance(x, str) and re.fullmatch(r"\d{12}", x) for x in ids):
                problems.append(f"aws:{key}: got {ids!r}: a list of 12-digit account ids")
            else:
                out[key] = list(ids)
    tags: dict[str, str] = {}
    default_tags = cfg.get("defaultTags")
    if isinstance(default_tags, dict) and isinstance(default_tags.get("tags"), dict):
        tags = {str(k): str(v) for k, v in default_tags["tags"].items()}
    return out, tags, problems
