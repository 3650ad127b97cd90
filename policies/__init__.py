"""The mcpauth CrossGuard policy pack: rules in importable modules, the pack in __main__.py."""
