"""User-facing errors: raised for a user's mistake, printed without a traceback, exit code 2."""

from __future__ import annotations


class UserError(Exception):
    """A mistake the user can fix (bad suite, bad dataset, bad argument)."""


class ConfigError(UserError):
    """A suite file (or suite mapping) that does not validate.

    The message names the file, the field path and what would be valid.
    """

    def __init__(self, message: str, *, source: str | None = None, field: str | None = None):
        self.source = source
        self.field = field
        where = ": ".join(part for part in (source, field) if part)
        super().__init__(f"{where}: {message}" if where else message)


class DatasetError(UserError):
    """A dataset that cannot be loaded or is unusable; the message names the dataset."""

    def __init__(self, dataset: str, message: str):
        self.dataset = dataset
        super().__init__(f"dataset {dataset!r}: {message}")
