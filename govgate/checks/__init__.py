"""The checks library: Prefect-free checks, one concept per module, each returning Checks with evaluated
thresholds. Usable from a notebook; tasks/ wraps them as Prefect tasks."""
