#!/usr/bin/env python
"""Write examples/churn.csv: 200 made-up telecom customers, numeric columns only.

The README's suite example reads it (``csv:examples/churn.csv``, target ``churned``).
Generated once with a fixed seed and committed; run again to get the same file:

    python scripts/make-example-data.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

ROWS = 200
OUT = Path(__file__).resolve().parents[1] / "examples" / "churn.csv"


def churn_table(rows: int = ROWS, seed: int = 0) -> pd.DataFrame:
    """Customers whose churn depends on tenure, contract, charges and support calls."""
    rng = np.random.default_rng(seed)
    contract = rng.choice([1, 12, 24], size=rows, p=[0.5, 0.3, 0.2])  # months
    tenure = np.clip(rng.gamma(2.0, 12.0, size=rows).round(), 1, 72).astype(int)
    internet = rng.integers(0, 2, size=rows)
    monthly = (20 + 35 * internet + rng.normal(15, 8, size=rows)).clip(18, 120).round(2)
    calls = rng.poisson(1.0 + 0.5 * internet, size=rows)
    age = rng.integers(18, 80, size=rows)
    logit = (1.2 - 0.05 * tenure - 0.08 * contract + 0.025 * (monthly - 60) + 0.45 * calls
             - 0.01 * (age - 45))
    churned = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({
        "age": age, "tenure_months": tenure, "contract_months": contract,
        "internet": internet, "monthly_charges": monthly,
        "total_charges": (monthly * tenure).round(2), "support_calls": calls,
        "churned": churned,
    })


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    table = churn_table()
    table.to_csv(OUT, index=False)
    print(f"wrote {OUT} ({len(table)} rows, {table['churned'].mean():.0%} churned)")
