"""Move a stack deployed by the first release to the one-resource gateway, without touching AWS.

The first release held each gateway as two resources: pulumi-aws's `AgentcoreGateway` (created, or
read by id when adopted) and the `GatewayAuthorizer` dynamic resource. The gateway is now one
`AgentCoreGateway` dynamic resource. A URN holds the type, and a resource moved to another
provider is replaced (a new gateway, a new URL for every client), so aliases cannot carry it over;
this rewrites an exported state instead:

    pulumi stack export --stack dev --file before.json
    python tools/migrate_state.py before.json > after.json
    pulumi stack import --stack dev --file after.json

(`make migrate-state STACK=dev` runs the three.) Per gateway it writes one `AgentCoreGateway` with
the gateway's id, name (kept: it is immutable), URL and authorizer, under the same component and
provider as the old authorizer, rewrites every dependency on the two old resources to it, and
drops them. Nothing else changes. Run on a state that holds no old resources it changes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rules.types import AUTHORIZER as OLD_AUTHORIZER  # noqa: E402  (after the path is set)
from rules.types import AWS_GATEWAY as OLD_GATEWAY  # noqa: E402
from rules.types import MCP_GATEWAY  # noqa: E402


def _new_urn(old_gateway_urn: str) -> str:
    return old_gateway_urn.replace(f"${OLD_GATEWAY}::", f"${MCP_GATEWAY}::")


def _provider_blob() -> str:
    """The pickled provider, exactly as the SDK serializes it when the program registers one."""
    from pulumi.dynamic.dynamic import serialize_provider

    from components.gateway_resource import _Provider

    return str(serialize_provider(_Provider()))


def _props(gw: dict[str, Any], auth: dict[str, Any] | None) -> dict[str, Any]:
    from rules.urls import resource_url

    outs = gw.get("outputs") or {}
    auth_outs = (auth or {}).get("outputs") or {}
    adopted = bool(gw.get("external"))
    gateway_id = str(gw.get("id") or outs.get("gatewayId"))
    url = str(outs.get("gatewayUrl") or auth_outs.get("gatewayUrl") or "")
    jwt = ((outs.get("authorizerConfiguration") or {}).get("customJwtAuthorizer")) or {}
    inputs = {
        "name": gateway_id if adopted else str(outs.get("name") or ""),
        "autoName": not adopted,
        "legacyName": "",
        "region": str(auth_outs.get("region") or ""),
        "aws": {"profile": auth_outs["profile"]} if auth_outs.get("profile") else {},
        "existingGatewayId": gateway_id if adopted else "",
        "roleArn": "" if adopted else str(outs.get("roleArn") or ""),
        "description": "" if adopted else str(outs.get("description") or ""),
        "domain": "",
        "discoveryUrl": str(auth_outs.get("discoveryUrl") or jwt.get("discoveryUrl") or ""),
        "allowedClients": [],
        "allowedScopes": [],
        "customClaims": list(auth_outs.get("customClaims") or []),
        "tags": {},
        "__provider": _provider_blob(),
    }
    outputs = {
        **inputs,
        "gatewayId": gateway_id,
        "gatewayArn": str(outs.get("gatewayArn") or ""),
        "gatewayUrl": url,
        "resourceUrl": resource_url(url) if url else "",
        "allowedAudiences": list(auth_outs.get("allowedAudiences") or []),
        "status": str(outs.get("status") or auth_outs.get("status") or ""),
    }
    return {"inputs": inputs, "outputs": outputs}


def migrate(export: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """(the new export, one line per gateway moved)."""
    deployment = export["deployment"]
    resources: list[dict[str, Any]] = list(deployment.get("resources") or [])
    gateways = [r for r in resources if r.get("type") == OLD_GATEWAY]
    authorizers = {r.get("parent"): r for r in resources if r.get("type") == OLD_AUTHORIZER}
    renames: dict[str, str] = {}
    replacement: dict[str, dict[str, Any]] = {}
    report: list[str] = []
    for gw in gateways:
        auth = authorizers.get(gw.get("parent"))
        new_urn = _new_urn(gw["urn"])
        renames[gw["urn"]] = new_urn
        if auth is not None:
            renames[auth["urn"]] = new_urn
        entry: dict[str, Any] = {
            "urn": new_urn,
            "custom": True,
            "id": gw.get("id"),
            "type": new_urn.split("::")[-2].split("$")[-1],
            "parent": gw.get("parent"),
            "provider": (auth or {}).get("provider") or "",
            **_props(gw, auth),
        }
        if gw.get("protect"):
            entry["protect"] = True
        deps = list(gw.get("dependencies") or [])
        if deps:
            entry["dependencies"] = deps
        replacement[gw["urn"]] = entry
        report.append(f"{gw['urn']} -> {new_urn} (id {gw.get('id')})")
    if not renames:
        return export, []
    dropped = set(renames)
    out: list[dict[str, Any]] = []
    for r in resources:
        if r["urn"] in replacement:
            out.append(replacement[r["urn"]])
            continue
        if r["urn"] in dropped:
            continue
        out.append(r)
    for r in out:
        if r.get("dependencies"):
            r["dependencies"] = list(dict.fromkeys(renames.get(d, d) for d in r["dependencies"]))
        if r.get("propertyDependencies"):
            r["propertyDependencies"] = {
                k: list(dict.fromkeys(renames.get(d, d) for d in v)) for k, v in r["propertyDependencies"].items()
            }
        if r.get("parent") in renames:
            r["parent"] = renames[r["parent"]]
    return {**export, "deployment": {**deployment, "resources": out}}, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("export", type=Path, help="the file `pulumi stack export` wrote")
    args = parser.parse_args(argv)
    try:
        export = json.loads(args.export.read_text())
        if not isinstance(export, dict) or "deployment" not in export:
            raise ValueError("not a `pulumi stack export` file (no `deployment`)")
    except (OSError, ValueError) as e:
        print(f"migrate_state: {args.export}: {e}", file=sys.stderr)
        return 2
    new, report = migrate(export)
    for line in report or ["nothing to migrate: no first-release gateway resources in this state"]:
        print(f"migrate_state: {line}", file=sys.stderr)
    json.dump(new, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
