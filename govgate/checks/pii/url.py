"""Presidio's URL recognizer, minus the sentence joins of prose ("had expected.As an added bonus")."""

from __future__ import annotations

import regex as re
from presidio_analyzer.predefined_recognizers import UrlRecognizer

# A match with a scheme or a "www" host was typed as a link; without either, Presidio's "Non schema URL"
# pattern takes any "word.xx" whose xx is a top-level domain, which is how sentences joined without a
# space read in reviews ("expected.As", "strings...you", "install.so"). Such a match is dropped when
# - a label is empty ("strings...you": an ellipsis, no host name has one);
# - its top-level domain is capitalized, or in capitals after a host in lower case ("expected.As",
#   "disappointed.CONSTRUCTION"): a new sentence starts there;
# - a letter or digit follows it (the "domain" starts a longer word: "expected.asking");
# - it is one word and a top-level domain that is also a common English word ("install.so", "in.it");
#   a link to "google.it" written without www or scheme is missed, as the price of readable prose.
_LINKED = re.compile(r"(?i)^[\"']?(?:https?://|www\d{0,3}\.)")
_WORD_TLDS = frozenset("am an and as at by do go he if in is it my no now on or so to up us we you love".split())


def is_sentence_join(text: str, start: int, end: int) -> bool:
    """Whether the URL match ``text[start:end]`` is sentences joined by full stops, not a link."""
    match = text[start:end]
    if _LINKED.match(match):
        return False
    host, slash, _ = match.strip("\"'").partition("/")
    labels = host.split(".")
    tld = labels[-1]
    if "" in labels:
        return True
    if not tld.isalpha():
        return False
    capitalized = tld[0].isupper() and not tld.isupper()
    shouted = tld.isupper() and not host.isupper()
    cut_from_word = not slash and end < len(text) and text[end].isalnum()
    word_join = not slash and len(labels) == 2 and tld.lower() in _WORD_TLDS
    return capitalized or shouted or cut_from_word or word_join


class ProseUrlRecognizer(UrlRecognizer):
    """:class:`UrlRecognizer` with its patterns, context and scores unchanged; results that are sentence
    joins (:func:`is_sentence_join`) are dropped. Every match it keeps is one the stock recognizer makes,
    so the routing argument for URLs (one whitespace-delimited token per match) still holds."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("name", "ProseUrlRecognizer")
        super().__init__(**kwargs)

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        return [r for r in results if not is_sentence_join(text, r.start, r.end)]
