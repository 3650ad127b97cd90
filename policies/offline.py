"""Run the pack without the Pulumi CLI: over the offline plan, or over hand-built resources.

The engine calls each resource rule per resource and each stack rule once over all resources,
with props wrapped the way the analyzer wraps them (unknowns raise on access). This module
does the same with the plan's recorded inputs, honouring the same per-policy config
(`{"policy-name": {"enforcementLevel": "...", "<property>": ...}}`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from pulumi_policy import (
    EnforcementLevel,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import (
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policies import ALL_POLICIES


class Recorded(Protocol):
    """A resource as the offline engine records it."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    depends_on: list[str]
    property_dependencies: dict[str, list[str]]
    protect: bool
    ignore_changes: list[str]


def _defaults(policy: Policy) -> dict[str, Any]:
    schema = policy.config_schema
    if schema is None:
        return {}
    return {k: v["default"] for k, v in schema.properties.items() if "default" in v}


def _level(policy: Policy, cfg: Mapping[str, Any]) -> EnforcementLevel:
    level = cfg.get("enforcementLevel")
    if level is None:
        return policy.enforcement_level or EnforcementLevel.ADVISORY
    return level if isinstance(level, EnforcementLevel) else EnforcementLevel(level)


def _unknowns(value: Any) -> Any:
    """The engine's unknowns, which the offline engine records as `[unknown]`, as the analyzer
    hands them to policies."""
    if value == "[unknown]":
        return UNKNOWN_STRING_VALUE
    if isinstance(value, dict):
        return {k: _unknowns(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unknowns(v) for v in value]
    return value


def to_policy_resources(resources: Sequence[Recorded]) -> list[PolicyResource]:
    """PolicyResources with parents and dependencies linked, as the analyzer gives them."""
    out: dict[str, PolicyResource] = {}
    custom = [r for r in resources if r.custom]
    for r in custom:
        opts = PolicyResourceOptions(
            protect=r.protect,
            ignore_changes=list(r.ignore_changes),
            delete_before_replace=None,
            aliases=[],
            custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
            additional_secret_outputs=[],
            parent=r.parent or None,
        )
        # After `up` a stack policy sees each resource's state: its inputs and what the provider
        # computed (a gateway's audiences), which the offline plan knows and a preview does not.
        props = _unknowns({**r.inputs, **dict(getattr(r, "outputs", None) or {})})
        out[r.urn] = PolicyResource(r.type, unknown_checking_proxy(props), r.urn, r.name, opts, None, None, [], {})
    for r in custom:
        pr = out[r.urn]
        pr.parent = out.get(r.parent)
        pr.dependencies = [out[d] for d in r.depends_on if d in out]
        pr.property_dependencies = {k: [out[d] for d in v if d in out] for k, v in r.property_dependencies.items()}
    return list(out.values())


def _sink(violations: list[dict[str, Any]], policy: Policy, level: EnforcementLevel, at: str | None) -> Any:
    """A ReportViolation that records; a resource rule's urn defaults to the resource checked."""

    def report(message: str, urn: str | None = None) -> None:
        violations.append(
            {
                "policy": policy.name,
                "enforcementLevel": level.value,
                "resource": urn or at,
                "message": message,
            }
        )

    return report


def run_pack(
    resources: Sequence[Recorded],
    config: Mapping[str, Mapping[str, Any]] | None = None,
    policies: Sequence[Policy] = ALL_POLICIES,
) -> list[dict[str, Any]]:
    """Every violation: {policy, enforcementLevel, resource (urn or None), message}."""
    config = config or {}
    prs = to_policy_resources(resources)
    violations: list[dict[str, Any]] = []
    for policy in policies:
        cfg = {**_defaults(policy), **dict(config.get(policy.name, {}))}
        level = _level(policy, cfg)
        if level == EnforcementLevel.DISABLED:
            continue
        props = {k: v for k, v in cfg.items() if k != "enforcementLevel"}
        if isinstance(policy, ResourceValidationPolicy):
            for pr in prs:
                args = ResourceValidationArgs(pr.resource_type, pr.props, pr.urn, pr.name, pr.opts, None, props)
                policy.validate(args, _sink(violations, policy, level, pr.urn))
        elif isinstance(policy, StackValidationPolicy):
            policy.validate(StackValidationArgs(prs, props), _sink(violations, policy, level, None))
    return violations


def policy_config_for(issuer: str, auth0_domain: str, manage: bool, third_party: bool) -> dict[str, Any]:
    """The pack config that describes one stack of this program: its issuer (a custom domain is
    Auth0 too) and, for stacks that do not own the tenant, what the owner provides."""
    from urllib.parse import urlsplit

    host = urlsplit(issuer).hostname or ""
    cfg: dict[str, Any] = {
        "gateway-custom-jwt": {"issuer": issuer},
        "gateway-no-allowed-clients": {"auth0Hosts": sorted({host, auth0_domain})},
    }
    if not manage:
        cfg["third-party-clients-ready"] = {
            "thirdPartyClients": third_party,
            "domainConnectionElsewhere": True,
        }
    return cfg


def run_policies(ev: Any, settings: Any, _stack_config: Any = None) -> list[dict[str, Any]]:
    """The plan's hook: the whole pack over an offline evaluation of the program."""
    tenant = settings.project.tenant
    cfg = policy_config_for(
        settings.issuer,
        settings.auth0_domain,
        tenant.manage,
        tenant.third_party_clients,
    )
    return run_pack(ev.resources, cfg)
