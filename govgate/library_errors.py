"""A library's exception text, made fit for a message that lands in evidence, logs or a terminal.

pandas, pyarrow, Great Expectations and a model's own code quote the value they choked on ("Could not
convert 'jane@x.com' to numeric"), and connection errors repeat URLs with their passwords. What such text
may add to govgate's own message (which names the input, column and row) is its shape: quoted parts become
``<value>``, any word that is not a plain word or a small number becomes ``<value>``, and credentials in URLs
are masked. The exception's type is always kept; the raw text goes nowhere.
"""

from __future__ import annotations

import re

# 'a value', "a value" (the way Python's repr and most libraries quote data)
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
# user:password@ or token@ after a URL scheme
_USERINFO = re.compile(r"(?i)([a-z][a-z0-9+.\-]*://)[^/@\s]+@")
# what may stay of a library's wording: plain words, small numbers, operators, the placeholders
_SAFE_TOKEN = re.compile(r"[A-Za-z_]+|\d{1,6}|[<>=!]{1,2}|<value>|\*+@?|[a-z][a-z0-9+.\-]*://\*+@")
_EDGE = "()[]{},.;:!?"
LIMIT = 200


def without_credentials(text: str) -> str:
    """``scheme://user:password@host`` and ``scheme://token@host`` with the credentials masked."""
    return _USERINFO.sub(r"\1***@", text)


def shape_of(text: str, limit: int = LIMIT) -> str:
    """A library message with every data-like part replaced by ``<value>`` (see the module's doc)."""
    text = _QUOTED.sub("<value>", without_credentials(" ".join(str(text).split())))
    words = []
    for token in text.split(" "):
        core = token.strip(_EDGE)
        if core and not _SAFE_TOKEN.fullmatch(core):
            token = token.replace(core, "<value>")
        if not (token == "<value>" and words and words[-1] == "<value>"):  # one placeholder for a run of them
            words.append(token)
    out = " ".join(words).strip()
    return out if len(out) <= limit else out[: limit - 3] + "..."


def described(exc: BaseException, limit: int = LIMIT) -> str:
    """``Type: message shape`` of an exception (first line only), or the type alone when it says nothing."""
    lines = [line for line in str(exc).splitlines() if line.strip()]
    shape = shape_of(lines[0], limit) if lines else ""
    return f"{type(exc).__name__}: {shape}" if shape else type(exc).__name__


def os_reason(exc: BaseException) -> str:
    """Why a file could not be read, without the library's full text: the OS's reason or the undecodable
    byte and its offset (a UnicodeDecodeError's text never quotes more than that byte)."""
    if isinstance(exc, UnicodeDecodeError):
        return f"byte 0x{exc.object[exc.start]:02x} at offset {exc.start} is not valid {exc.encoding}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return type(exc).__name__
