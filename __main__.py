"""mcpauth: Auth0 + AWS Bedrock AgentCore Gateway for MCP servers, wired by one resource URL.

Thin by design: everything is in `components/`, so the tests and `make plan` run the same code.
"""

from components.program import main

main()
