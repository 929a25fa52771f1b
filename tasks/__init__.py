"""Reusable Prefect tasks grouped by concern. Each is callable as plain ``.fn`` in tests."""

import os as _os

# Presidio's e-mail recognizer uses tldextract, whose default extractor (created when tldextract is first
# imported, possibly by another library) downloads the public-suffix list unless this names no URL.
# Set before anything in a worker process can import it.
_os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
