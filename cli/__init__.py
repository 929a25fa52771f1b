"""The govgate command: an entry point above the flows (it may import flows and deployments; the core
never imports it)."""
