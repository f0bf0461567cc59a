"""The harness's search space as Hyperopt and ConfigSpace (SMAC3) spaces, and back.

Each library searches codes of the values, and each code decodes to a value exactly in the
harness's dimension:

- a float: uniform or log-uniform between its bounds (clipped back into them, against
  rounding in ``exp``);
- an integer on a log scale: Hyperopt's ``qloguniform`` over [low - 0.5, high + 0.5] rounded
  (each integer its log-width of mass), ConfigSpace's log-scaled ``Integer``;
- any other integer: its position on the grid ``low, low + step, ..., <= high`` (an ordinal
  the libraries model as a number), decoded to ``low + step * position``;
- a categorical: the index of its choice (so ``None``, booleans and mixed types survive).

A dimension with a single value (low == high, one choice, a step wider than the range) is
fixed: the libraries never see it and every configuration carries its value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from harness.spaces import CategoricalDim, Dimension, FloatDim, IntDim, Space


def grid_size(dim: IntDim) -> int:
    """How many values an integer dimension holds (on its step's grid)."""
    return (dim.high - dim.low) // dim.step + 1


def fixed_value(dim: Dimension) -> tuple[bool, Any]:
    """(True, its value) for a dimension that holds one value, else (False, None)."""
    if isinstance(dim, CategoricalDim):
        return (len(dim.choices) == 1, dim.choices[0])
    if isinstance(dim, IntDim):
        return (grid_size(dim) == 1, dim.low)
    return (dim.low == dim.high, dim.low)


def free_dimensions(space: Space) -> Space:
    """The dimensions a library searches (those with more than one value)."""
    return {name: dim for name, dim in space.items() if not fixed_value(dim)[0]}


def _is_grid(dim: Dimension) -> bool:
    """An integer searched by its position on the grid (all but log-scaled ones)."""
    return isinstance(dim, IntDim) and not dim.log


def decode(space: Space, codes: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration a library's ``codes`` stand for, with every fixed dimension."""
    params: dict[str, Any] = {}
    for name, dim in space.items():
        fixed, value = fixed_value(dim)
        if fixed:
            params[name] = value
        elif isinstance(dim, CategoricalDim):
            params[name] = dim.choices[int(codes[name])]
        elif isinstance(dim, IntDim) and _is_grid(dim):
            position = min(max(int(round(float(codes[name]))), 0), grid_size(dim) - 1)
            params[name] = dim.low + dim.step * position
        elif isinstance(dim, IntDim):
            params[name] = min(max(int(round(float(codes[name]))), dim.low), dim.high)
        else:
            params[name] = min(max(float(codes[name]), dim.low), dim.high)
    return params


def to_hyperopt(space: Space) -> dict[str, Any]:
    """Hyperopt's space (``hp`` expressions) of the free dimensions, by name."""
    from hyperopt import hp

    out: dict[str, Any] = {}
    for name, dim in free_dimensions(space).items():
        if isinstance(dim, CategoricalDim):
            out[name] = hp.choice(name, list(range(len(dim.choices))))
        elif isinstance(dim, IntDim) and _is_grid(dim):
            out[name] = hp.quniform(name, -0.5, grid_size(dim) - 0.5, 1)
        elif isinstance(dim, IntDim):
            out[name] = hp.qloguniform(name, math.log(dim.low - 0.5), math.log(dim.high + 0.5),
                                       1)
        elif isinstance(dim, FloatDim) and dim.log:
            out[name] = hp.loguniform(name, math.log(dim.low), math.log(dim.high))
        else:
            out[name] = hp.uniform(name, dim.low, dim.high)
    return out


def to_configspace(space: Space, *, seed: int) -> Any:
    """A ConfigSpace ``ConfigurationSpace`` (seeded) of the free dimensions."""
    from ConfigSpace import Categorical, ConfigurationSpace, Float, Integer

    hyperparameters: list[Any] = []
    for name, dim in free_dimensions(space).items():
        if isinstance(dim, CategoricalDim):
            hyperparameters.append(Categorical(name, list(range(len(dim.choices)))))
        elif isinstance(dim, IntDim) and _is_grid(dim):
            hyperparameters.append(Integer(name, (0, grid_size(dim) - 1)))
        elif isinstance(dim, IntDim):
            hyperparameters.append(Integer(name, (dim.low, dim.high), log=True))
        else:
            hyperparameters.append(Float(name, (dim.low, dim.high), log=dim.log))
    configspace = ConfigurationSpace(seed=seed)
    configspace.add(hyperparameters)
    return configspace
