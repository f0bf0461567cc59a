"""Where the harness caches things, and the one way a dataset's split reaches the cache.

The harness host (when it plans a suite) and each Dask worker's host (before it runs)
prepare data the same way: load the dataset by name, check its fingerprint, split it once
with the fixed seed, and save the split as .npy files that worker processes read.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.datasets._base import Dataset, Split, check_cv_fits, save_split, split_dataset
from harness.datasets._registry import load_dataset
from harness.errors import DatasetError
from harness.plain import to_plain


def user_cache_dir() -> Path:
    """The harness's per-user cache: ``$XDG_CACHE_HOME/tuning-harness`` (~/.cache/...)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tuning-harness"


def split_dir_name(fingerprint: str, test_size: float, subsample: int | None) -> str:
    """The cache folder name of a dataset's split (the same on every host)."""
    return f"{fingerprint}-t{test_size:g}" + (f"-s{subsample}" if subsample else "")


class FingerprintMismatch(DatasetError):
    """The dataset loaded here differs from the data the suite was planned on."""

    def __init__(self, dataset: str, *, found: str, expected: str):
        self.found, self.expected = found, expected
        super().__init__(dataset, f"its data here have fingerprint {found}, the suite "
                                  f"expects {expected}; refusing to mix results")


@dataclass(frozen=True)
class PreparedData:
    """A loaded dataset, its fixed split, and the folder the split is cached in."""

    dataset: Dataset
    split: Split
    data_dir: Path


def prepare_data(ref: str, options: dict[str, Any], *, base_dir: Path | None,
                 test_size: float, cache_dir: Path,
                 expected_fingerprint: str | None = None) -> PreparedData:
    """Load → check fingerprint → split → cache (written atomically, once per folder).

    Raises DatasetUnavailable (a file that cannot be had here), DatasetError (unusable
    data) or FingerprintMismatch (data that differ from ``expected_fingerprint``).
    """
    dataset = load_dataset(ref, options, base_dir=base_dir)
    if expected_fingerprint is not None and dataset.fingerprint != expected_fingerprint:
        raise FingerprintMismatch(ref, found=dataset.fingerprint,
                                  expected=expected_fingerprint)
    subsample = options.get("subsample")
    split = split_dataset(dataset, test_size=test_size, subsample=subsample)
    target = cache_dir.resolve() / split_dir_name(dataset.fingerprint, test_size, subsample)
    if not (target / "meta.json").exists():
        _save_atomically(dataset, split, target)
    else:
        _add_meta_features(dataset, split, target / "meta.json")
    return PreparedData(dataset, split, target)


def prepare_for_plan(entries: list[list[Any]], *, base_dir: str, test_size: float,
                     cache_dir: str, cv: int) -> list[list[str] | None]:
    """What planning needs of each dataset entry (``[ref, options]``), for planning the
    suite in another process (a fork server's, which has scikit-learn imported): load, split,
    cache and check that CV fits (as ``plan.plan_suite`` does), giving ``[fingerprint, task,
    data folder, skip reason]``; None for an entry that raised (the planner prepares that
    one itself, and so raises the very same error)."""
    from harness.datasets._keras import DatasetUnavailable

    prepared: list[list[str] | None] = []
    for ref, options in entries:
        try:
            data = prepare_data(ref, options, base_dir=Path(base_dir), test_size=test_size,
                                cache_dir=Path(cache_dir))
            if data.dataset.kind == "tabular":
                check_cv_fits(data.dataset, data.split, cv)
        except DatasetUnavailable as exc:
            prepared.append(["unavailable", "classification", "", str(exc)])
        except Exception:  # noqa: BLE001 - see above
            prepared.append(None)
        else:
            prepared.append([data.dataset.fingerprint, data.dataset.task, str(data.data_dir),
                             ""])
    return prepared


def _extra(dataset: Dataset, split: Split) -> dict[str, Any]:
    from harness.datasets._meta import meta_features

    return to_plain({"meta_features": meta_features(dataset, split), "prep": dataset.prep})


def _add_meta_features(dataset: Dataset, split: Split, meta_path: Path) -> None:
    """Give a split cached before meta-features existed its meta-features (once)."""
    meta = json.loads(meta_path.read_text())
    if "meta_features" in meta:
        return
    scratch = meta_path.with_name(f".meta-{os.getpid()}.json")
    scratch.write_text(json.dumps({**meta, **_extra(dataset, split)}))
    scratch.replace(meta_path)


def _save_atomically(dataset: Dataset, split: Split, target: Path) -> None:
    """Write into a private folder (with the dataset's meta-features and preparation), then
    rename it into place (processes may race)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=target.parent, prefix=".partial-"))
    save_split(dataset, split, scratch, extra=_extra(dataset, split))
    try:
        scratch.rename(target)
    except OSError:  # another process got there first
        shutil.rmtree(scratch, ignore_errors=True)
        if not (target / "meta.json").exists():
            raise
