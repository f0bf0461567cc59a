"""The run's own model, rebuilt after its result for the worker's extra measurements (the
budget levels' refits, the learning curve): one way to get it and the data it sees."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


def run_model(spec: Mapping[str, Any], params: Mapping[str, Any]) -> tuple[Any, Any]:
    """(the run's model family's pipeline with ``params``, seeded with the run's seed and
    prepared for the cached split's columns, that split)."""
    from harness.datasets import load_split
    from harness.models import MODELS
    from harness.records import ColumnLayout

    meta, split = load_split(Path(spec["data_dir"]))
    estimator = MODELS[spec["model"]].build(spec["task"], seed=int(spec["seed"]),
                                            params=dict(params),
                                            layout=ColumnLayout.from_dict(meta.get("layout")))
    return estimator, split
