"""One module per gate: the order of tasks, the decision and the artifacts."""
