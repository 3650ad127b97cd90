"""The wiring table: per gateway, the strings that must be byte-identical (resource URL, API
identifier, allowed audience, discovery URL, issuer), each read from the resource that holds it,
and what the AgentCore service model refuses in the gateway's request."""

from __future__ import annotations

from dataclasses import dataclass, field

from agentcore import awsmodel
from agentcore import client as agentcore
from components.gateway_resource import _spec as gateway_spec
from offline.engine import Evaluation, Registered
from rules.naming import gateway_of
from rules.types import API, TENANT
from rules.types import MCP_GATEWAY as GATEWAY
from rules.urls import domain_resource_url, resource_url
from rules.wiring import api_identifier_problems, gateway_problems
from stackconfig.settings import Settings


@dataclass
class WiringRow:
    gateway: str
    resource_url: str
    api_identifier: str | None
    allowed_audiences: list[str]
    discovery_url: str | None
    issuer: str
    default_audience: str | None
    problems: list[str] = field(default_factory=list)


def _component_of(r: Registered, by_urn: dict[str, Registered]) -> str:
    parent = by_urn.get(r.parent)
    return parent.name if parent else ""


def wiring_table(ev: Evaluation, settings: Settings) -> list[WiringRow]:
    """Read each string from the resource that holds it, and compare them exactly."""
    by_urn = ev.by_urn()
    tenant = ev.of_type(TENANT)
    default_aud = tenant[0].inputs.get("defaultAudience") or None if tenant else None
    apis = {gateway_of(_component_of(r, by_urn)): r for r in ev.of_type(API)}
    gateways = {gateway_of(_component_of(r, by_urn)): r for r in ev.of_type(GATEWAY)}
    identifiers = {a.inputs.get("identifier") for a in apis.values()}

    rows = []
    for gw in settings.project.gateways:
        g, api = gateways.get(gw.name), apis.get(gw.name)
        outs = g.outputs if g else {}
        raw_url = str(outs.get("gatewayUrl") or "")
        problem: list[str] = []
        try:
            url = domain_resource_url(gw.domain) if gw.domain else resource_url(raw_url)
        except ValueError as e:
            url = raw_url
            problem.append(f"gateway URL: {e}")
        if g is not None and outs.get("resourceUrl") != url:
            problem.append(f"the gateway resource's resource URL {outs.get('resourceUrl')!r} != {url!r}")
        ident = api.inputs.get("identifier") if api else None
        audiences = list(outs.get("allowedAudiences") or [])
        disc = g.inputs.get("discoveryUrl") if g else None
        row = WiringRow(gw.name, url, ident, audiences, disc, settings.issuer, None, problem)
        if g is None:
            row.problems += ["no gateway resource", *api_identifier_problems(ident, url)]
        else:
            row.problems += gateway_problems(
                resource_url=url,
                identifier=ident,
                audiences=audiences,
                discovery=disc,
                issuer=settings.issuer,
                clients=list(g.inputs.get("allowedClients") or []),
            )
            row.problems.extend(aws_model_problems(g))
        if default_aud is not None and gw.name == settings.project.tenant.default_audience:
            row.default_audience = default_aud
            if default_aud != ident:
                row.problems.append(f"tenant default audience {default_aud!r} != API identifier {ident!r}")
        rows.append(row)
    if default_aud is not None and default_aud not in identifiers:
        for row in rows:
            row.problems.append(f"tenant default audience {default_aud!r} is no API's identifier")
            break
    return rows


def aws_model_problems(gateway: Registered) -> list[str]:
    """The requests the gateway resource will send (CreateGateway, then UpdateGateway with the final
    authorizer), checked against the AgentCore service model boto3 ships, as AWS checks them."""
    props = {**gateway.inputs, "roleArn": gateway.inputs.get("roleArn") or None}
    if props["roleArn"] in (None, "[unknown]"):
        props["roleArn"] = None if gateway.inputs.get("existingGatewayId") else "arn:aws:iam::111122223333:role/r"
    spec = gateway_spec(props)
    live = {
        "gatewayId": gateway.outputs.get("gatewayId") or gateway.id,
        "name": gateway.inputs.get("name"),
        "gatewayUrl": gateway.outputs.get("gatewayUrl") or "",
        "roleArn": props["roleArn"] or "arn:aws:iam::111122223333:role/adopted",
        "authorizerType": "CUSTOM_JWT",
        "status": "READY",
    }
    requests = [("UpdateGateway", agentcore.desired_request(live, spec))]
    if not spec.adopted:
        requests.insert(0, ("CreateGateway", agentcore.create_request(spec)))
    return [
        f"AWS would refuse {op} of {gateway.type.rsplit(':', 1)[-1]} '{gateway.name}': {v}"
        for op, req in requests
        for v in awsmodel.validate(op, req)
    ]
