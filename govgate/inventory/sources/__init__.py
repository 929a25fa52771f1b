"""Where inventory assets are found: MLflow, the evidence store, Prefect deployments, an inventory/ YAML folder.
Each source turns what its system knows into plain :class:`~govgate.inventory.model.Asset` values; the
assembly (govgate/inventory/assemble.py) merges them by asset id."""
