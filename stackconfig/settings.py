"""The stack config: read once, validated as a whole, before any resource is declared.

This module reads the raw keys (JSON text from Pulumi), validates them against the models
(`model.py`), the checks across keys (`checks.py`) and the rules for secret keys
(`secrets.py`), and returns the `Settings` the program builds from. Everything is plain
Python (no Pulumi engine), so the program, the offline plan and the tests share one definition of
what a valid stack is. Errors name the key path the user typed
(`mcpauth:gateways[1].requiredPermissions[0]`), the bad value and what is accepted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from agentcore.awsmodel import is_region
from rules.urls import discovery_url
from stackconfig.aws import client_settings
from stackconfig.checks import check_references, https_host_only
from stackconfig.model import (
    CIMD_FORMS,
    NAMESPACE,
    PROJECT_KEYS,
    ROLE_FORMS,
    TARGET_SECRETS,
    ConfigError,
    GatewayConfig,
    MetadataDocumentsConfig,
    ProjectConfig,
    RoleConfig,
)
from stackconfig.secrets import (
    OFFLINE_SECRET,
    PLAIN_ONLY,
    cut,
    explain_offline_secrets,
    offline_secret_note,
    redact,
)


@dataclass(frozen=True)
class Settings:
    """The validated stack: project config plus the provider keys the program depends on."""

    project: ProjectConfig
    stack: str
    auth0_domain: str
    issuer: str
    aws_region: str
    # The `aws` property of each gateway resource (stackconfig/aws.py) and aws:defaultTags.
    aws_client: dict[str, Any] = field(default_factory=dict)
    aws_default_tags: dict[str, str] = field(default_factory=dict)
    # Keys set with `--secret`: what the program derives from them it declares as secrets.
    secret_keys: frozenset[str] = frozenset()
    # The names under mcpauth:targetSecrets (never their values); None when `make plan` could not
    # read them (the whole object is one `secure:` value).
    target_secret_names: frozenset[str] | None = frozenset()

    @property
    def domain_is_secret(self) -> bool:
        return "auth0:domain" in self.secret_keys

    @property
    def issuer_is_secret(self) -> bool:
        """The issuer is set as a secret, or derived from a secret auth0:domain."""
        explicit = bool(self.project.issuer)
        return f"{NAMESPACE}:issuer" in self.secret_keys or (self.domain_is_secret and not explicit)

    @property
    def discovery_url(self) -> str:
        return discovery_url(self.issuer)  # rules/urls.py: the one derivation

    @property
    def token_endpoint(self) -> str:
        # On the issuer's host, not auth0:domain: Auth0 "issues tokens with the `iss` claim for
        # the domain you used with the token request" (auth0.com/docs/customize/custom-domains),
        # and "all requests (obtaining the token, and calling the API) must use the same domain"
        # (…/custom-domains/configure-features-to-use-custom-domains). auth0:domain stays the
        # Management API host only.
        return f"{self.issuer}oauth/token"

    def third_party_scopes(self, gateway: GatewayConfig) -> list[str]:
        if gateway.third_party_scopes is not None:
            return list(gateway.third_party_scopes)
        return [s for s in self.project.scopes if s != "admin"]


def _parse_value(key: str, value: Any) -> Any:
    """Pulumi hands structured config to programs as JSON text; scalars as plain strings."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith(("[", "{")):
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise ConfigError([f"{key}: is not valid JSON ({e.msg} at {e.pos})"]) from None
    # The booleans Pulumi's config reads (pulumi SDK config.py `_get_bool`: "true"/"True",
    # "false"/"False"); any other text stays text, and a boolean key refuses it.
    if text in ("true", "True", "false", "False"):
        return text in ("true", "True")
    return value


def _target_secret_names(key: str, value: Any, is_secret: bool, problems: list[str]) -> frozenset[str] | None:
    """The names under mcpauth:targetSecrets. Its values are credentials: plain text is refused."""
    how = f"pulumi config set --secret --path '{key}.<name>' <value>"
    if not is_secret:
        problems.append(f"{key}: holds credentials, so set each one with --secret: `{how}`")
        return frozenset()
    if value == OFFLINE_SECRET:
        return None  # one encrypted object: its names are unreadable offline
    try:
        parsed = _parse_value(key, value)
    except ConfigError:
        parsed = None
    if not isinstance(parsed, dict) or not all(isinstance(v, str) and v for v in parsed.values()):
        problems.append(f"{key}: must be an object of names to non-empty strings, each set with `{how}`")
        return frozenset()
    return frozenset(str(k) for k in parsed)


def _check_target_secrets(cfg: ProjectConfig, names: frozenset[str] | None, problems: list[str]) -> None:
    for gi, gw in enumerate(cfg.gateways):
        for ti, target in enumerate(gw.targets):
            wanted = target.outbound.api_key_secret
            if target.credential == "apiKey" and wanted and names is not None and wanted not in names:
                known = ", ".join(sorted(names)) or "none set"
                problems.append(
                    f"{NAMESPACE}:gateways[{gi}].targets[{ti}].outbound.apiKeySecret: got {wanted!r}: not a name under "
                    f"{NAMESPACE}:{TARGET_SECRETS} ({known}); set it with "
                    f"`pulumi config set --secret --path '{NAMESPACE}:{TARGET_SECRETS}.{wanted}' <key>`"
                )


def _loc_to_path(loc: tuple[Any, ...]) -> str:
    path = f"{NAMESPACE}:"
    first = True
    for part in loc:
        if part in ROLE_FORMS or part in CIMD_FORMS:
            continue  # the discriminator's tag, not a key the user typed
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("" if first else ".") + str(part)
        first = False
    return path


def _pydantic_problems(err: ValidationError) -> list[str]:
    problems = []
    for e in err.errors():
        loc = tuple(e["loc"])
        path = _loc_to_path(loc)
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            parent = loc[:-1]
            allowed = _allowed_keys(parent)
            msg = f"unknown key; accepted keys here: {', '.join(allowed)}"
        elif e["type"] == "missing":
            msg = "is required"
        elif e["type"] == "literal_error":
            # Only the sentence's first letter: the accepted values keep their case (ENFORCE).
            msg = f"got {e.get('input')!r}; {msg[:1].lower()}{msg[1:]}"
        elif loc[-1:] == (ROLE_FORMS[1],) and e["type"] == "model_type":
            msg = f"got {e.get('input')!r}: a role is a list of permissions, or {{id, name, permissions, previousIds}}"
        elif loc[-1:] == (CIMD_FORMS[1],) and e["type"] == "model_type":
            msg = f"got {e.get('input')!r}: false, or {{clients: [https://<client>/<path>.json, ...], dynamic: false}}"
        else:
            value = e.get("input")
            if not isinstance(value, (dict, list)):
                msg = f"got {value!r}: {msg}"
        problems.append(f"{path}: {msg}")
    return problems


def _allowed_keys(parent: tuple[Any, ...]) -> list[str]:
    if parent[-1:] == (ROLE_FORMS[1],):
        return [(f.alias or n) for n, f in RoleConfig.model_fields.items()]
    if parent[-1:] == (CIMD_FORMS[1],):
        return [(f.alias or n) for n, f in MetadataDocumentsConfig.model_fields.items()]
    model: type[BaseModel] = ProjectConfig
    for part in parent:
        if isinstance(part, int):
            continue
        field = next((f for n, f in model.model_fields.items() if (f.alias or n) == part), None)
        if field is None:
            return []
        ann = field.annotation
        inner = getattr(ann, "__args__", None)
        candidates = [ann, *(inner or [])]
        model = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)),
            model,
        )
    return [(f.alias or n) for n, f in model.model_fields.items()]


def load_settings(raw: Mapping[str, Any], stack: str, secret_keys: frozenset[str] = frozenset()) -> Settings:
    """Validate the whole stack config. `raw` maps full keys (`mcpauth:gateways`) to values,
    as Pulumi hands them to a program (structured values as JSON text). Values of
    `secret_keys` are never echoed in errors."""
    problems: list[str] = []
    project: dict[str, Any] = {}
    secret_names: frozenset[str] | None = frozenset()
    for key, value in raw.items():
        ns, _, name = key.partition(":")
        if ns != NAMESPACE:
            continue
        if name == TARGET_SECRETS:
            secret_names = _target_secret_names(key, value, key in secret_keys, problems)
            continue
        if name not in PROJECT_KEYS:
            problems.append(f"{key}: unknown key; accepted {NAMESPACE}: keys: {', '.join(PROJECT_KEYS)}")
            continue
        if key in secret_keys and name in PLAIN_ONLY:
            problems.append(
                f"{key}: set with --secret, but {PLAIN_ONLY[name]}, which Pulumi keeps in plain text "
                "(resource names are never encrypted), so the secret would not stay one. Set it in plain "
                f"text: `pulumi config set {key} '…'` without --secret (keep credentials out of it)"
            )
            continue
        if key in secret_keys and value == OFFLINE_SECRET:
            problems.append(f"{key}: its value decides what the program declares, and {offline_secret_note(key)}")
            continue
        try:
            project[name] = _parse_value(key, value)
        except ConfigError as e:
            problems.extend(e.problems)

    domain = raw.get("auth0:domain")
    if not domain:
        problems.append(
            "auth0:domain: is required (the tenant's Management API host, e.g. "
            "my-tenant.us.auth0.com); set it with `pulumi config set auth0:domain <host>`"
        )
    elif not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?", str(domain)) or "." not in str(domain):
        problems.append(
            f"auth0:domain: got {domain!r}: must be a host name only, e.g. my-tenant.us.auth0.com "
            "(no https://, path, query or port)"
        )
    region = raw.get("aws:region")
    if not region:
        problems.append(
            "aws:region: is required (the region of the AgentCore gateways), "
            "e.g. `pulumi config set aws:region us-east-1`"
        )
    elif not is_region(str(region)):
        # By botocore's partitions (data/partitions.json), so the sovereign ones (aws-eusc) pass too.
        problems.append(
            f"aws:region: got {region!r}: not an AWS region name such as us-east-1, cn-north-1, us-gov-west-1 "
            "or eusc-de-east-1"
        )

    aws_client, aws_tags, aws_problems = client_settings(raw)
    problems.extend(aws_problems)

    cfg: ProjectConfig | None = None
    if f"{NAMESPACE}:gateways" in raw and "gateways" not in project:
        pass  # unparsable: already reported
    elif "gateways" not in project:
        problems.append(f"{NAMESPACE}:gateways: is required: a list of gateways, e.g. [{{name: tools}}]")
    else:
        try:
            cfg = ProjectConfig.model_validate(project)
        except ValidationError as e:
            problems.extend(_pydantic_problems(e))
    if cfg is not None:
        check_references(cfg, problems)
        _check_target_secrets(cfg, secret_names, problems)
        if cfg.issuer:
            https_host_only(f"{NAMESPACE}:issuer", cfg.issuer, problems, allow_slash=True)

    if problems:
        # Cut long values only now, after redaction: a cut secret would no longer be recognised.
        shown = explain_offline_secrets(redact(problems, raw, secret_keys), raw, secret_keys)
        raise ConfigError([cut(p) for p in shown])
    assert cfg is not None and domain and region
    issuer = cfg.issuer or f"https://{domain}/"
    if not issuer.endswith("/"):
        issuer += "/"  # Auth0's `iss` always ends in one slash; the gateway compares exactly.
    return Settings(
        project=cfg,
        stack=stack,
        auth0_domain=str(domain),
        issuer=issuer,
        aws_region=str(region),
        aws_client=aws_client,
        aws_default_tags=aws_tags,
        secret_keys=frozenset(secret_keys),
        target_secret_names=secret_names,
    )
