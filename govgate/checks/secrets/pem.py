"""PEM private-key blocks, followed across the lines of one cell or file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from govgate.checks.secrets.config import PEM_MAX_BODY, PEM_MIN_BODY

_PEM_HEADER = re.compile(r"-{2,}\s*BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?\s*-{2,}")
_PEM_FOOTER = re.compile(r"-{2,}\s*END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?\s*-{2,}")
_PEM_BODY_RUN = re.compile(r"(?:[A-Za-z0-9+/=\s\"'`,;]|\\[nr])*")  # after a header on its line
_PEM_BODY_LINE = re.compile(r"[\s\"'`]*(?:[A-Za-z0-9+/=]|\\[nr])*[\s\"'`,;+\\]*")  # a whole body line
_PEM_FIELD_LINE = re.compile(r"[\s\"'`]*(?:Proc-Type|DEK-Info|Comment|Version|Hash|Charset):\s.*")
_PEM_NOT_BASE64 = re.compile(r"\\[nr]|[^A-Za-z0-9+/=]")


# ---------------------------------------------------------------------------------------------------------------
# PEM blocks (stateful across the lines of one cell or file)


@dataclass
class PemBlock:
    row: int
    value: str  # base64 body, or the header when there is no body
    start: int  # span within the text the block started in (for window edges)
    end: int
    complete: bool  # footer seen


class PemState:
    def __init__(self) -> None:
        self.open: dict[str, Any] | None = None

    def feed(self, text: str, row: int, *, can_continue: bool = True) -> tuple[list[tuple[int, int]], list[PemBlock]]:
        """Spans of ``text`` outside PEM blocks (for the other detectors) and the blocks that ended."""
        done: list[PemBlock] = []
        pos = 0
        if self.open is not None:
            footer = _PEM_FOOTER.search(text)
            if footer is not None:
                self.open["body"].append(text[: footer.start()])
                done.append(self._close(complete=True))
                pos = footer.end()
            elif can_continue and (_PEM_BODY_LINE.fullmatch(text) or _PEM_FIELD_LINE.fullmatch(text)):
                self.open["body"].append("" if _PEM_FIELD_LINE.fullmatch(text) else text)
                self.open["size"] += len(text)
                if self.open["size"] > PEM_MAX_BODY:
                    done.append(self._close(complete=False))
                return [], done
            else:
                done.append(self._close(complete=False))
        spans: list[tuple[int, int]] = []
        while True:
            head = _PEM_HEADER.search(text, pos)
            if head is None:
                spans.append((pos, len(text)))
                break
            spans.append((pos, head.start()))
            body_end = _PEM_BODY_RUN.match(text, head.end()).end()
            footer = _PEM_FOOTER.match(text, body_end)
            header = head.group(0).strip("- \t")
            if footer is not None:
                done.append(_block(row, header, text[head.end() : body_end], head.start(), footer.end(), True))
                pos = footer.end()
                continue
            if body_end == len(text) and can_continue:
                self.open = {
                    "row": row,
                    "header": header,
                    "body": [text[head.end() :]],
                    "size": len(text) - head.end(),
                    "start": head.start(),
                }
                break
            block = _block(row, header, text[head.end() : body_end], head.start(), body_end, False)
            done.append(block)
            # a header mention without a key body: the rest of the line is ordinary text
            pos = body_end if block.value != header else head.end()
            block.end = pos
        return [s for s in spans if s[1] > s[0]], done

    def close(self) -> list[PemBlock]:
        return [self._close(complete=False)] if self.open is not None else []

    def _close(self, *, complete: bool) -> PemBlock:
        o, self.open = self.open, None
        assert o is not None
        return _block(o["row"], o["header"], "".join(o["body"]), o["start"], -1, complete)


def _block(row: int, header: str, body: str, start: int, end: int, complete: bool) -> PemBlock:
    clean = _PEM_NOT_BASE64.sub("", body)
    return PemBlock(row, clean if len(clean) >= PEM_MIN_BODY else header, start, end, complete)
