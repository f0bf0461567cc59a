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
    """A dataset that cannot be loaded or is unusable; the message names the dataset.

    Raised while a suite is planned, it names the suite file and the entry too
    (``suite.yaml: datasets[1]: dataset 'csv:x.csv': ...``), as a ConfigError does.
    """

    def __init__(self, dataset: str, message: str, *, source: str | None = None,
                 field: str | None = None):
        self.dataset, self.reason = dataset, message
        self.source, self.field = source, field
        where = "".join(f"{part}: " for part in (source, field) if part)
        super().__init__(f"{where}dataset {dataset!r}: {message}")

    def located(self, source: str | None, field: str) -> DatasetError:
        """The same error, naming the suite file and the suite's field of the dataset."""
        return DatasetError(self.dataset, self.reason, source=source, field=field)
