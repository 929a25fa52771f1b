"""The AI asset inventory (issue 17): every model, dataset, pipeline and third-party AI tool, with its tier,
lineage, gate records and gaps. Core: no Prefect import."""

from govgate.inventory.model import ASSET_KINDS, SOURCES, STATUSES, Asset, Gap, GateStatus, LineageLink

__all__ = ["ASSET_KINDS", "SOURCES", "STATUSES", "Asset", "Gap", "GateStatus", "LineageLink", "build_inventory"]


def __getattr__(name: str):
    # build_inventory pulls in the sources (and MLflow's entities lazily); importing the value types stays cheap
    if name == "build_inventory":
        from govgate.inventory.assemble import build_inventory

        return build_inventory
    raise AttributeError(name)
