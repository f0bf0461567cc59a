"""How many trials a model-based strategy spends on its initial (random) design.

Without a trial cap a sampler keeps its own default; with one, the initial design takes
about a quarter of the cap (at least 3, never more than the default), so a capped run
leaves most of its trials to the model: ``min(default, max(3, max_trials // 4))``.
"""

from __future__ import annotations


def initial_design(requested: int | None, max_trials: int | None, default: int) -> int:
    """The initial design's size: ``requested`` when the user set it, else sized from
    ``max_trials`` (the sampler's ``default`` without a cap)."""
    if requested is not None:
        return requested
    if max_trials is None:
        return default
    return min(default, max(3, max_trials // 4))
