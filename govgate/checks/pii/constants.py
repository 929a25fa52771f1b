"""Settings of the PII scan shared by its modules: language, score floor, document sizes, example sizes."""

from __future__ import annotations

LANGUAGE = "en"
#: results under this score are not reported (Presidio's phone recognizer scores 0.4)
SCORE_THRESHOLD = 0.4
#: most distinct cells joined into one analysed document, and most characters in it
CELLS_PER_DOC = 1000
CHARS_PER_DOC = 200_000
#: a column of strings is free text when its values average more than this many characters (and more
#: than one word: a long e-mail address or hash is no text) ...
TEXT_MIN_MEAN_CHARS = 30
#: ... or at least this many words
TEXT_MIN_MEAN_WORDS = 5
EXAMPLES_PER_ENTITY = 3
EXAMPLE_CHARS = 80
KINDS = ("text", "structured", "numeric")
