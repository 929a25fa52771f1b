"""Redacted text: detected entities replaced by their type."""

from __future__ import annotations

from govgate.checks.pii import (
    redact_text,
)


def test_redact_text(analyzer):
    text = "Gọi 0912345678 hoặc mail an.nguyen@example.com, CCCD 001099012345."
    assert redact_text(text, analyzer) == "Gọi <VN_PHONE> hoặc mail <EMAIL_ADDRESS>, CCCD <VN_CCCD>."
