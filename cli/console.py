"""What a person sees on the terminal: one line per error, tracebacks in the log file, and a run that
stops within seconds on Ctrl-C or SIGTERM, taking the local Prefect server it started with it."""

from __future__ import annotations

import logging
import os
import signal
import threading
import traceback
from pathlib import Path

# Set by ``govgate --debug``: tracebacks on the terminal too.
DEBUG = False
# A stop that has not unwound by then ends the process (after stopping the servers it started).
HARD_EXIT_SECONDS = 8.0
LOG_NAME = "govgate.log"


class _WithoutTraceback(logging.Formatter):
    """Formats a record as the wrapped formatter does, minus its traceback and stack."""

    def __init__(self, inner: logging.Formatter):
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            return self.inner.format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


def log_path(home: Path) -> Path:
    return home / "logs" / LOG_NAME


def route_logs(home: Path) -> None:
    """Send Prefect's and govgate's log records, tracebacks included, to ``<home>/logs/govgate.log``, and
    keep tracebacks off the terminal (unless --debug). Call after Prefect configured its logging."""
    path = log_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    for name in ("prefect", "govgate"):
        logger = logging.getLogger(name)
        if not any(getattr(h, "baseFilename", None) == str(path) for h in logger.handlers):
            handler = logging.FileHandler(path, encoding="utf-8")
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
            logger.addHandler(handler)
    if DEBUG:
        return
    for logger in (logging.getLogger(), logging.getLogger("prefect"), logging.getLogger("govgate")):
        for handler in logger.handlers:
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                if not isinstance(handler.formatter, _WithoutTraceback):
                    handler.setFormatter(_WithoutTraceback(handler.formatter or logging.Formatter()))


def record_traceback(home: Path, exc: BaseException) -> Path:
    """Append an unexpected error's traceback to the log file; the terminal gets one line."""
    path = log_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write("".join(traceback.format_exception(exc)))
    return path


def stop_on_signals() -> None:
    """SIGTERM unwinds like Ctrl-C (so local servers are stopped in ``finally``); a second signal, or a
    run that has not unwound after HARD_EXIT_SECONDS, stops the servers and ends the process."""
    from govgate.runtime import stop_started_servers

    def hard_exit(code: int) -> None:
        stop_started_servers(grace=1.0)
        os._exit(code)

    def on_signal(signum, frame) -> None:
        code = 128 + signum
        if getattr(on_signal, "armed", False):
            hard_exit(code)
        on_signal.armed = True
        timer = threading.Timer(HARD_EXIT_SECONDS, hard_exit, args=(code,))
        timer.daemon = True
        timer.start()
        raise KeyboardInterrupt(f"stopped by signal {signal.Signals(signum).name}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
