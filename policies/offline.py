"""Run the pack without the Pulumi CLI: over the offline plan, or over hand-built resources.

The engine sends the analyzer each resource (Analyze) and then all of them (AnalyzeStack), after
configuring it with the per-policy config (`{"policy-name": {"enforcementLevel": "...",
"<property>": ...}}`). This module sends the same requests, built from the plan's records, to the
analyzer pulumi_policy serves, called in process.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from google.protobuf import struct_pb2
from pulumi.runtime.proto.analyzer_pb2 import (
    ADVISORY,
    DISABLED,
    MANDATORY,
    REMEDIATE,
    AnalyzeRequest,
    AnalyzerPropertyDependencies,
    AnalyzerResource,
    AnalyzerResourceOptions,
    AnalyzeStackRequest,
    ConfigureAnalyzerRequest,
    PolicyConfig,
)
from pulumi_policy import EnforcementLevel
from pulumi_policy.policy import Policy, _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies import ALL_POLICIES

PACK_NAME, PACK_VERSION = "mcpauth", "0.0.0"
_PROTO_LEVEL = {
    EnforcementLevel.ADVISORY: ADVISORY,
    EnforcementLevel.MANDATORY: MANDATORY,
    EnforcementLevel.REMEDIATE: REMEDIATE,
    EnforcementLevel.DISABLED: DISABLED,
}
_LEVEL_NAME = {proto: level.value for level, proto in _PROTO_LEVEL.items()}


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


def _configure(policy: Policy, given: Mapping[str, Any]) -> PolicyConfig:
    """What the Pulumi CLI sends the pack for one policy (`--policy-pack-config`): its properties
    with the schema's defaults filled in, and its enforcement level (the file's, else the policy's,
    else the pack's advisory default)."""
    cfg = {**_defaults(policy), **dict(given)}
    level = cfg.pop("enforcementLevel", None) or policy.enforcement_level or EnforcementLevel.ADVISORY
    level = level if isinstance(level, EnforcementLevel) else EnforcementLevel(level)
    properties = struct_pb2.Struct()
    properties.update(cfg)
    return PolicyConfig(enforcementLevel=_PROTO_LEVEL[level], properties=properties)


def _unknowns(value: Any) -> Any:
    """The engine's unknowns, which the offline engine records as `[unknown]`, as the engine sends
    them to the analyzer."""
    if value == "[unknown]":
        return UNKNOWN_STRING_VALUE
    if isinstance(value, dict):
        return {k: _unknowns(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unknowns(v) for v in value]
    return value


def _analyzer_resource(r: Recorded) -> AnalyzerResource:
    # After `up` a stack policy sees each resource's state: its inputs and what the provider
    # computed (a gateway's audiences), which the offline plan knows and a preview does not.
    properties = struct_pb2.Struct()
    properties.update(_unknowns({**r.inputs, **dict(getattr(r, "outputs", None) or {})}))
    return AnalyzerResource(
        type=r.type,
        properties=properties,
        urn=r.urn,
        name=r.name,
        options=AnalyzerResourceOptions(protect=r.protect, ignoreChanges=list(r.ignore_changes), parent=r.parent),
        parent=r.parent,
        dependencies=list(r.depends_on),
        propertyDependencies={k: AnalyzerPropertyDependencies(urns=v) for k, v in r.property_dependencies.items()},
    )


def run_pack(
    resources: Sequence[Recorded],
    config: Mapping[str, Mapping[str, Any]] | None = None,
    policies: Sequence[Policy] = ALL_POLICIES,
) -> list[dict[str, Any]]:
    """Every violation: {policy, enforcementLevel, resource (urn or None), message}.

    The pack runs in pulumi_policy's own analyzer (the gRPC servicer `pulumi preview` talks to,
    called directly): it resolves each policy's enforcement level and config, deserializes the
    properties (unknowns raise on access), links parents and dependencies, and reports. Only what
    the CLI does before it (the schema's defaults, the requests) is done here."""
    config = config or {}
    analyzer = _PolicyAnalyzerServicer(PACK_NAME, PACK_VERSION, list(policies), EnforcementLevel.ADVISORY)
    analyzer.Configure(  # type: ignore[no-untyped-call]  # pulumi_policy leaves its servicer untyped
        ConfigureAnalyzerRequest(policyConfig={p.name: _configure(p, config.get(p.name, {})) for p in policies}),
        None,
    )
    described = {p.name: p.description for p in policies}
    violations: list[dict[str, Any]] = []

    def collect(response: Any, at: str | None) -> None:
        for d in response.diagnostics:
            # The analyzer prefixes each message with the policy's description and a newline.
            message = d.message.removeprefix(described.get(d.policyName, "") + "\n")
            violations.append(
                {
                    "policy": d.policyName,
                    "enforcementLevel": _LEVEL_NAME[d.enforcementLevel],
                    "resource": d.urn or at,
                    "message": message,
                }
            )

    custom = [_analyzer_resource(r) for r in resources if r.custom]
    for r in custom:
        request = AnalyzeRequest(type=r.type, properties=r.properties, urn=r.urn, name=r.name, options=r.options)
        collect(analyzer.Analyze(request, None), r.urn)  # type: ignore[no-untyped-call]
    collect(analyzer.AnalyzeStack(AnalyzeStackRequest(resources=custom), None), None)  # type: ignore[no-untyped-call]
    # In the order of the pack's policies, as the CLI lists them.
    order = {p.name: i for i, p in enumerate(policies)}
    return sorted(violations, key=lambda v: order[v["policy"]])


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
