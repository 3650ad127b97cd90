"""The Bedrock AgentCore control plane: the client that creates and converges a gateway
(`client`), and the service model botocore ships with its partitions (`awsmodel`). No Pulumi here:
the gateway's dynamic provider (components/gateway_resource.py) calls it, and so do the plan's
checks and the tests."""
