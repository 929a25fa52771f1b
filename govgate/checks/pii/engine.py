"""The Presidio analyzer of a process: built offline from an explicit NLP configuration, cached."""

from __future__ import annotations

import json
import logging
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from govgate.checks.pii.constants import LANGUAGE, SCORE_THRESHOLD
from govgate.errors import InputError

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine

_BUILD_LOCK = threading.Lock()


# --------------------------------------------------------------------------------------------------------
# engine

#: what ``ner_model = auto`` looks for, best first (spaCy's English pipelines with an NER component)
AUTO_NER_MODELS = ("en_core_web_lg", "en_core_web_md", "en_core_web_sm")
NER_OFF = ("none", "off")


def resolve_ner_model(requested: str | None, configured: str | None = "auto") -> str | None:
    """The NER model a review uses: the one it asks for, else the configured one (the ``ner_model``
    setting); ``none``/``off`` turn NER off; ``auto`` is the first installed of :data:`AUTO_NER_MODELS`, or
    None when none is (the record then says names and locations were not checked)."""
    choice = (requested or configured or "auto").strip()
    if choice.lower() in NER_OFF:
        return None
    if choice.lower() != "auto":
        return choice
    try:
        import spacy.util
    except ImportError:
        return None
    return next((name for name in AUTO_NER_MODELS if spacy.util.is_package(name)), None)


def ner_model_version(ner_model: str | None) -> str | None:
    """The installed version of a spaCy model package (or a model folder's meta.json), for the record."""
    if not ner_model:
        return None
    try:
        import spacy.util

        if spacy.util.is_package(ner_model):
            return spacy.util.get_package_version(ner_model)
        meta = Path(ner_model) / "meta.json"
        return str(json.loads(meta.read_text()).get("version")) if meta.is_file() else None
    except (ImportError, OSError, ValueError, AttributeError):
        return None


def build_analyzer(ner_model: str | None = None) -> tuple[AnalyzerEngine, bool]:
    """The process's analyzer for ``ner_model`` (None: pattern recognizers only) and whether it has NER.

    Cached per process: workers call this for every partition. Never downloads anything; an unknown model
    name raises :class:`InputError`.
    """
    with _BUILD_LOCK:
        return _build_analyzer(ner_model or None)


@lru_cache(maxsize=4)
def _build_analyzer(ner_model: str | None) -> tuple[AnalyzerEngine, bool]:
    # Presidio's e-mail recognizer imports tldextract, which downloads the public-suffix list at first use
    # unless this names no URL (it then uses its bundled snapshot). Workers may not inherit the setting.
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    from govgate.checks.pii.url import ProseUrlRecognizer
    from govgate.checks.recognizers_vn import vn_recognizers

    if ner_model is None:
        config = {"nlp_engine_name": "no_op", "models": [{"lang_code": LANGUAGE, "model_name": "no_op"}]}
    else:
        import spacy

        # Presidio would otherwise try `spacy download` for a name it does not find.
        if not (spacy.util.is_package(ner_model) or Path(ner_model).exists()):
            raise InputError(
                f"NER model {ner_model!r} is neither an installed spaCy package nor a model folder; "
                "install it (pinned by hash) or leave ner_model unset to scan with pattern recognizers only"
            )
        config = {
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": LANGUAGE, "model_name": ner_model}],
            "ner_model_configuration": ner_model_configuration(),
        }
    try:
        nlp_engine = NlpEngineProvider(nlp_configuration=config).create_engine()
    except (OSError, ValueError, ImportError) as exc:
        raise InputError(f"NER model {ner_model!r} could not be loaded: {exc}") from exc
    # Presidio's predefined-recognizer list also names Spanish, Italian and Polish recognizers and logs a
    # warning for each one an English registry skips: expected, and eleven lines of noise per process.
    presidio_log = logging.getLogger("presidio-analyzer")
    level = presidio_log.level
    presidio_log.setLevel(logging.ERROR)
    try:
        analyzer = AnalyzerEngine(
            nlp_engine=nlp_engine,
            supported_languages=[LANGUAGE],
            default_score_threshold=SCORE_THRESHOLD,
            context_aware_enhancer=_context_enhancer(),
        )
    finally:
        presidio_log.setLevel(level)
    for recognizer in vn_recognizers(LANGUAGE):
        analyzer.registry.add_recognizer(recognizer)
    # the stock URL recognizer takes "expected.As" (two sentences joined by a full stop) for a link
    analyzer.registry.remove_recognizer("UrlRecognizer")
    analyzer.registry.add_recognizer(ProseUrlRecognizer(supported_language=LANGUAGE))
    ner = False
    if ner_model is not None:
        pipeline = getattr(nlp_engine, "nlp", {}).get(LANGUAGE)
        ner = pipeline is not None and "ner" in getattr(pipeline, "pipe_names", [])
    return analyzer, ner


#: spaCy's labels mapped to Presidio entities (Presidio's own default mapping), and the labels no
#: recognizer uses: ignored through Presidio's configuration, so that a product name or a cardinal does not
#: log "Entity PRODUCT is not mapped to a Presidio entity" for every hit (thousands per review).
NER_LABELS = {
    "PER": "PERSON",
    "PERSON": "PERSON",
    "NORP": "NRP",
    "FAC": "LOCATION",
    "LOC": "LOCATION",
    "GPE": "LOCATION",
    "LOCATION": "LOCATION",
    "ORG": "ORGANIZATION",
    "ORGANIZATION": "ORGANIZATION",
    "DATE": "DATE_TIME",
    "TIME": "DATE_TIME",
}
NER_LABELS_IGNORED = (
    "CARDINAL",
    "EVENT",
    "LANGUAGE",
    "LAW",
    "MONEY",
    "ORDINAL",
    "PERCENT",
    "PRODUCT",
    "QUANTITY",
    "WORK_OF_ART",
)


def ner_model_configuration() -> dict:
    return {"model_to_presidio_entity_mapping": dict(NER_LABELS), "labels_to_ignore": list(NER_LABELS_IGNORED)}


def _context_enhancer():
    """Presidio's default context enhancer (LemmaContextAwareEnhancer, default settings), skipped where it
    cannot change a score: no tokens from the NLP engine (the no-op engine) and no recognizer context word
    within the passed context. It would deep-copy every result first, a tenth of a text column's scan."""
    from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer, LemmaContextAwareEnhancer

    class SkippingContextEnhancer(ContextAwareEnhancer):
        def __init__(self) -> None:
            self.lemma = LemmaContextAwareEnhancer()
            super().__init__(
                context_similarity_factor=self.lemma.context_similarity_factor,
                min_score_with_context_similarity=self.lemma.min_score_with_context_similarity,
                context_prefix_count=self.lemma.context_prefix_count,
                context_suffix_count=self.lemma.context_suffix_count,
            )

        def enhance_using_context(self, text, raw_results, nlp_artifacts, recognizers, context=None):
            if nlp_artifacts is not None and not nlp_artifacts.tokens and not self._supported(recognizers, context):
                return raw_results
            return self.lemma.enhance_using_context(text, raw_results, nlp_artifacts, recognizers, context)

        def _supported(self, recognizers, context) -> bool:
            # Without tokens, the lemma enhancer's surrounding words are [""], to which it adds the passed
            # context, and it raises a result's score only if a context word of the result's recognizer
            # is in that list (as a substring, or equal in "whole_word" mode).
            words = ["", *(str(w).lower() for w in context or [])]
            whole = self.lemma.context_matching_mode == "whole_word"
            return any(
                (c.lower() == w) if whole else (c.lower() in w)
                for r in recognizers
                for c in (r.context or [])
                for w in words
            )

    return SkippingContextEnhancer()
