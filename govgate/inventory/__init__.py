"""The AI asset inventory (issue 17): every model, dataset, pipeline and third-party AI tool, with its tier,
lineage, gate records and gaps. Core: no Prefect import."""

from govgate.inventory.model import ASSET_KINDS, SOURCES, STATUSES, Asset, Gap, GateStatus, LineageLink

__all__ = ["ASSET_KINDS", "SOURCES", "STATUSES", "Asset", "Gap", "GateStatus", "LineageLink"]
