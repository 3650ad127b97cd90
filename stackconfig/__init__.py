"""The stack's configuration: its pydantic model, the checks across keys, which values must be
secrets, and the aws:* settings the gateway's client honours. No Pulumi resource is declared here:
the program, `make plan` and the sandbox all read a stack through `stackconfig.settings`."""
