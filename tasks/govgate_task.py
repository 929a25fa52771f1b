"""``@govgate_task(...)``: Prefect's ``@task`` for every govgate task, with the task's unexpected errors told
by type and place only.

An exception a library raises inside a task often quotes the data it choked on (``could not convert string
to float: 'alice@example.com'``, ``"['4111111111111111'] not in index"``). Prefect writes a failed task's
exception text into its database (the task run's state message, its logs) the moment the task fails,
before any hook or the flow's ``GateRun`` sees it. So the body is wrapped here: any exception that is not a
``GovgateError`` leaves the task as an ``UnexpectedError`` (type and govgate code location, no text, no
chained original), and the raw traceback goes only to the ``govgate.unexpected`` logger, which Prefect does
not send to its API; the CLI routes it to the local log file (``<home>/logs/govgate.log``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from prefect import task

from govgate.errors import GovgateError, UnexpectedError, unexpected_error

# Not a child of "prefect": Prefect's API log handler never sees it (only the console and the CLI's file).
LOCAL_LOG = logging.getLogger("govgate.unexpected")


def sanitized(fn: Callable) -> Callable:
    """``fn`` raising only ``GovgateError``: anything else becomes an ``UnexpectedError`` raised outside the
    ``except`` block, so the original (and its text) is neither its cause nor its context."""

    @functools.wraps(fn)
    def body(*args: Any, **kwargs: Any) -> Any:
        replacement: UnexpectedError | None = None
        try:
            return fn(*args, **kwargs)
        except GovgateError:
            raise
        except Exception as exc:
            replacement = unexpected_error(exc)
            LOCAL_LOG.error("%s (raw traceback, kept out of Prefect and the evidence)", replacement, exc_info=exc)
        raise replacement

    return body


def govgate_task(*args: Any, **kwargs: Any):
    """``prefect.task`` with the same arguments, over :func:`sanitized` (``@govgate_task`` or
    ``@govgate_task(name=...)``)."""
    if args and callable(args[0]) and len(args) == 1 and not kwargs:
        return task(sanitized(args[0]))
    return lambda fn: task(*args, **kwargs)(sanitized(fn))
