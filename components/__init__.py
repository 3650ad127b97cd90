"""mcpauth's Pulumi components: only what `pulumi up` declares, one component per file."""
