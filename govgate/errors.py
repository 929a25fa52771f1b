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
