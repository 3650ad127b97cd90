"""What `make plan` produces for a stack: read by the renderer, the adoption notes, the plan view and
the sandbox. Its own module so that none of them imports offline/plan.py, which imports them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from offline.access import GatewayAccess
from offline.engine import Evaluation
from offline.tenants import TenantView
from offline.wiring import WiringRow


@dataclass
class Plan:
    stack: str
    project: str
    evaluation: Evaluation
    wiring: list[WiringRow]
    critical_path: list[str]
    policies: list[dict[str, Any]]
    tenant: TenantView | None = None
    # Keys set with `secure:`: not decrypted offline, each secret part read as "[secret]".
    secret_keys: tuple[str, ...] = ()
    # What the first `up` resets on Auth0 resources that already exist (offline/adopt.py).
    notes: list[str] = field(default_factory=list)
    # The deployer's Management API scopes: for `up`, and for a `preview --refresh`.
    auth0_scopes: list[str] = field(default_factory=list)
    auth0_read_scopes: list[str] = field(default_factory=list)
    # Whether the policy pack could be loaded (it is optional for the plan).
    pack_found: bool = True
    # Auth0 features the stack relies on that are in Early Access: Auth0 must enable them for the
    # tenant first, and they may change.
    early_access: list[str] = field(default_factory=list)
    # Where the stack, with the others on its tenant, goes past Auth0's free-plan entity limits.
    limits: list[str] = field(default_factory=list)
    # Per gateway with targets: each target's credential, and which role may call which tool.
    tool_access: list[GatewayAccess] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return (
            any(r.problems for r in self.wiring)
            or any(p["enforcementLevel"] == "mandatory" for p in self.policies)
            or bool(self.tenant and self.tenant.problems)
        )
