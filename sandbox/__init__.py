"""`make sandbox` / `make demo`: the stack's plan stood up on 127.0.0.1, an Auth0-like issuer and
AgentCore-like gateways, for `make verify` and MCP clients to run against. Reads the plan through
offline's typed view; offline and verify never import it."""
