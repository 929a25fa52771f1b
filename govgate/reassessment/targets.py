"""Which model versions to reassess: those an MLflow alias (default ``production``) marks as deployed,
for every registered model, one model, or one risk tier. An alias that points nowhere is a target with
a problem (reported as a finding), never silently dropped."""

from __future__ import annotations

from dataclasses import dataclass, field

from govgate import protocol


@dataclass
class Target:
    model: str
    version: str | None  # None: the alias points nowhere
    alias: str
    tier: str | None = None
    tags: dict[str, str] = field(default_factory=dict)  # the version's tags over the registered model's
    problem: str | None = None

    @property
    def label(self) -> str:
        return f"{self.model}@{self.alias}" + (f" (version {self.version})" if self.version else "")


def _version_target(client, model: str, alias: str, version: str, model_tags: dict) -> Target:
    try:
        mv = client.get_model_version(model, str(version))
    except Exception as exc:  # noqa: BLE001 - MLflow raises its own exception types; the message names it
        return Target(
            model,
            None,
            alias,
            problem=f"alias {alias!r} of model {model!r} points to version "
            f"{version}, which cannot be read ({type(exc).__name__})",
        )
    tags = {**model_tags, **dict(mv.tags or {})}
    return Target(model, str(mv.version), alias, tier=tags.get(protocol.MODEL_TIER), tags=tags)


def deployed_targets(
    client,
    alias: str,
    *,
    model: str | None = None,
    tier: str | None = None,
    default_tier: str = "medium",
    intake_tiers: dict | None = None,
) -> list[Target]:
    """One target per deployed version (aliases as MLflow keeps them on the registered model). A named
    model without the alias becomes a target with a problem; ``tier`` keeps only versions of that tier."""
    if model:
        try:
            models = [client.get_registered_model(model)]
        except Exception:  # noqa: BLE001 - not registered: a problem named below, not a crash
            return [Target(model, None, alias, problem=f"model {model!r} is not registered in MLflow")]
    else:
        models = list(client.search_registered_models())
    targets = []
    for rm in sorted(models, key=lambda m: m.name):
        aliases = dict(getattr(rm, "aliases", None) or {})
        if alias not in aliases:
            if model:
                targets.append(
                    Target(
                        rm.name,
                        None,
                        alias,
                        tags=dict(rm.tags or {}),
                        problem=(
                            f"alias {alias!r} of model {rm.name!r} points nowhere (aliases: {sorted(aliases) or 'none'})"
                        ),
                    )
                )
            continue
        targets.append(_version_target(client, rm.name, alias, aliases[alias], dict(rm.tags or {})))
    intake_tiers = _intake_tiers(model) if intake_tiers is None else intake_tiers
    for t in targets:
        t.tier = t.tier or t.tags.get(protocol.MODEL_TIER) or default_tier
        _apply_intake(t, intake_tiers.get(t.model), default_tier)
    return [t for t in targets if tier is None or t.tier == tier]


def _intake_tiers(model: str | None) -> dict:
    """{model name: its latest intake's tier} from the configured evidence store (one listing)."""
    from govgate.intake.tier import latest_intakes
    from govgate.settings import load_settings
    from govgate.store import open_store

    return latest_intakes(open_store(load_settings()), model)


def _apply_intake(t: Target, intake, default_tier: str) -> None:
    """The latest intake's tier wins over the tag; a refused model is a target with a problem (reported as
    a failed check of its own record, at the default tier: no tier of policy lets it be deployed)."""
    if intake is None:
        return
    if intake.tier == protocol.TIER_REFUSED:
        t.problem = (
            f"model {t.model!r} (version {t.version}) is deployed but was refused by its intake record "
            f"{intake.record_id} ({intake.uri})"
        )
        t.version, t.tier = None, default_tier
    else:
        t.tier = intake.tier
