"""A small spaCy pipeline made here and installed as a package on a folder added to ``sys.path`` (no
download, nothing installed into the venv): an ``entity_ruler`` named ``ner`` that tags the given names as
PERSON, packaged with a ``.dist-info`` so that ``spacy.util.is_package`` and ``spacy.load`` find it as they
find ``en_core_web_sm``. Optionally a component that tags a capitalised word after "by", "from" or ">" as PERSON,
so that what is tagged depends on the neighbouring words, as a trained model's tags do."""

from __future__ import annotations

from pathlib import Path

INIT = '''
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Span


@Language.component("{name}_after_by")
def after_by(doc):
    """PERSON for a capitalised word right after "by", "from" or a closing bracket (context-dependent, as a
    trained model's tags are: a word's tag changes when the words before it change)."""
    spans = list(doc.ents)
    taken = {{t.i for s in spans for t in s}}
    for tok in doc[1:]:
        prev = doc[tok.i - 1]
        if prev.lower_ in ("by", "from", ">", ")") and tok.is_title and tok.is_alpha and tok.i not in taken:
            spans.append(Span(doc, tok.i, tok.i + 1, label="PERSON"))
            taken.add(tok.i)
    doc.ents = sorted(spans, key=lambda s: s.start)
    return doc


def load(**overrides):
    return spacy.load(Path(__file__).parent / "model", **overrides)
'''


def install_fake_model(root: Path, name: str, names: list[str], version: str = "3.8.0", after_by: bool = False) -> Path:
    """Write package ``name`` under ``root`` (add ``root`` to ``sys.path`` to install it); its folder."""
    import spacy

    package = root / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(INIT.format(name=name))
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", name="ner")
    ruler.add_patterns([{"label": "PERSON", "pattern": n} for n in names])
    if after_by:
        import importlib.util
        import sys

        spec = importlib.util.spec_from_file_location(name, package / "__init__.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules.setdefault(name, module)
        spec.loader.exec_module(module)  # registers the component's factory before it is added
        nlp.add_pipe(f"{name}_after_by", after="ner")
    nlp.meta.update({"name": name.split("_", 1)[1], "version": version})
    nlp.to_disk(package / "model")
    dist = root / f"{name}-{version}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (dist / "top_level.txt").write_text(name + "\n")
    return package
