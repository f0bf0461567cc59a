"""scikit-learn's searches with the budget mixin; imported when a search runs, not when a
strategy's options are read."""

from __future__ import annotations

from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import GridSearchCV, HalvingRandomSearchCV, RandomizedSearchCV

from harness.strategies._budgeted import BudgetedSearchMixin


class BudgetedGridSearchCV(BudgetedSearchMixin, GridSearchCV):
    """GridSearchCV that stops at the budget and records each candidate as a trial."""


class BudgetedRandomizedSearchCV(BudgetedSearchMixin, RandomizedSearchCV):
    """RandomizedSearchCV that stops at the budget and records each candidate as a trial."""


class BudgetedHalvingRandomSearchCV(BudgetedSearchMixin, HalvingRandomSearchCV):
    """HalvingRandomSearchCV that stops at the budget and records each candidate as a trial."""
