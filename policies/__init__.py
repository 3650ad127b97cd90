"""The mcpauth CrossGuard policy pack.

Rules live in importable modules (tests and the offline plan import them); only
`policies/__main__.py` builds the PolicyPack, because constructing one starts a gRPC server.
"""

from policies import auth0, gateway, hygiene, targets

ALL_POLICIES = [*gateway.POLICIES, *auth0.POLICIES, *targets.POLICIES, *hygiene.POLICIES]

__all__ = ["ALL_POLICIES"]
