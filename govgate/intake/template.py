"""The questionnaire as a commented YAML file to fill in (``govgate intake template``), generated from the
answers model so the template and the validation never disagree."""

from __future__ import annotations

from pydantic import BaseModel

from govgate.intake.answers import Answers

HEADER = """\
# govgate intake answers (govgate intake run THIS_FILE.yaml; docs/intake.md).
# Answer true or false; leave null what you do not know: unknown is never read as "no", and a rule that
# depends on an unknown answer makes the intake need a review. Unknown keys are errors.
"""
EXAMPLES = {"asset.kind": "model", "asset.id": "credit-scoring", "markets": "[EU, VN]"}


def template() -> str:
    return HEADER + "\n".join(_lines(Answers, "", 0)) + "\n"


def _lines(model: type[BaseModel], prefix: str, depth: int) -> list[str]:
    lines, pad = [], "  " * depth
    for name, info in model.model_fields.items():
        key = f"{prefix}{name}"
        nested = next((a for a in (info.annotation, *getattr(info.annotation, "__args__", ())) if _is_model(a)), None)
        if nested is not None:
            lines.append(f"{pad}{name}:" + (f"  # {info.description}" if info.description else ""))
            lines += _lines(nested, key + ".", depth + 1)
            continue
        default = info.default if not info.is_required() else None
        shown = EXAMPLES.get(key, "null" if default is None else ('""' if default == "" else str(default).lower()))
        lines.append(f"{pad}{name}: {shown}" + (f"  # {info.description}" if info.description else ""))
    return lines


def _is_model(annotation) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)
