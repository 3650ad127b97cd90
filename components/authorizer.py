"""The first release's `GatewayAuthorizer`, kept only so that stacks it deployed still load.

A Pulumi state names the dynamic provider of each resource by reference (module
`components.authorizer`, class `_Provider`): `refresh` and `destroy` of a stack that still holds
one import this class. The gateway is now owned whole by `components.gateway_resource`;
`make migrate-state` (tools/migrate_state.py) removes these resources from a state. Until then
this provider makes no AWS call: deleting one leaves the gateway as it is.
"""

from __future__ import annotations

from typing import Any

import pulumi.dynamic as dyn


class _Provider(dyn.ResourceProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> dyn.CheckResult:
        return dyn.CheckResult(news, [])

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> dyn.DiffResult:
        return dyn.DiffResult(changes=False)

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        raise RuntimeError(
            "GatewayAuthorizer is retired: the gateway resource owns its authorizer; run `make migrate-state`"
        )

    def read(self, id_: str, props: dict[str, Any]) -> dyn.ReadResult:
        return dyn.ReadResult(id_=id_, outs=props)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None
