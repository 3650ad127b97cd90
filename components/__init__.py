"""mcpauth's Pulumi components: one component per file, pure helpers in config.py and naming.py."""
