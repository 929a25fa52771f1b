"""Errors that carry a message a user can act on: what was wrong and where."""


class GovgateError(Exception):
    """Base of every error govgate raises on purpose. ``str(err)`` is the user-facing message."""


class ConfigError(GovgateError):
    """A setting is missing or malformed."""


class PolicyError(GovgateError):
    """A policy file cannot be read or does not validate."""


class StoreError(GovgateError):
    """The object store failed or refused an operation."""


class WriteOnceError(StoreError):
    """A second write to a write-once key was refused."""


class TamperedError(StoreError):
    """Evidence whose bytes no longer match the manifest it was published with."""


class ObjectLockedError(StoreError):
    """An object under retention or legal hold cannot be deleted or overwritten."""


class TrackingError(GovgateError):
    """MLflow could not be reached or refused an operation."""


class InputError(GovgateError):
    """A gate's input (file, column, key, parameter) is unusable."""


class UnexpectedError(GovgateError):
    """An exception govgate did not raise on purpose (a bug, a library's error), reported by its type, where
    it was raised and a masked message: its own text may hold data values, which evidence must not keep."""


def unexpected_error(exc: BaseException, tb=None) -> UnexpectedError:
    """``exc`` as an :class:`UnexpectedError` naming its type and the innermost line of govgate's own code
    it passed through. Its text is left out: a library's message quotes the values it choked on (a cell, a
    key, a secret), and no pattern can tell which words are data."""
    import traceback

    where = ""
    for frame in traceback.extract_tb(tb or exc.__traceback__):
        parts = frame.filename.replace("\\", "/").split("/")
        for top in ("govgate", "tasks", "flows", "cli", "deployments"):
            if top in parts[:-1]:
                where = f" at {'/'.join(parts[parts.index(top) :])}:{frame.lineno} ({frame.name})"
                break
    return UnexpectedError(
        f"unexpected {type(exc).__name__}{where}; its message is left out of the evidence (it may quote data "
        "values): see the Prefect flow run's logs"
    )
