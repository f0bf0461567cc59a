"""The README's examples run as written: its suite example plans and runs on the shipped
example data."""

import re
from pathlib import Path

import pytest
import yaml
from conftest import run_cli

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def readme_suite() -> str:
    """The README's suite example (the yaml block that names my-suite), as written."""
    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text(), flags=re.S)
    [suite] = [b for b in blocks if re.search(r"^name: my-suite$", b, flags=re.M)]
    return suite


def test_example_data_is_the_scripts_output():
    """examples/churn.csv is what scripts/make-example-data.py writes (numeric, 200 rows)."""
    import runpy

    table = runpy.run_path(str(ROOT / "scripts" / "make-example-data.py"))["churn_table"]()
    shipped = (ROOT / "examples" / "churn.csv").read_text()
    assert table.to_csv(index=False) == shipped
    assert len(table) == 200 and all(str(t) != "object" for t in table.dtypes)
    assert 0.2 < table["churned"].mean() < 0.6


@pytest.mark.slow
def test_readme_suite_example_runs_as_written(tmp_path):
    """Saved at the top of a checkout (here: beside a link to examples/), the example plans
    its 72 runs; with a tiny budget its CSV problems run."""
    text = readme_suite()
    assert 'csv:examples/churn.csv' in text and "harness run\n--suite my-suite.yaml" in \
        README.read_text()
    (tmp_path / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    (tmp_path / "my-suite.yaml").write_text(text)
    db = str(tmp_path / "r.db")
    proc = run_cli("run", "--suite", "my-suite.yaml", "--db", db, "--dry-run", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "72 of 72 run(s) to run, budget 30 s each" in proc.stdout

    raw = yaml.safe_load(text)
    raw["budget"] = {"time_s": 6, "max_trials": 2}
    (tmp_path / "my-suite.yaml").write_text(yaml.safe_dump(raw))
    proc = run_cli("run", "--suite", "my-suite.yaml", "--db", db, "--no-report", "--quiet",
                   "--only", "dataset=csv:examples/churn.csv,seed=0,strategy=default",
                   "--only", "strategy=random",
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "suite my-suite: 4 run(s) executed" in proc.stdout


def test_strategy_table_names_every_registered_strategy():
    """The README's strategy table has a row (library, algorithm, trial, fidelity) for each."""
    from harness.strategies import STRATEGIES

    text = README.read_text()
    table = text[text.index("| Strategy | Library | Algorithm | A trial | Fidelity |"):]
    rows = re.findall(r"^\| `([\w-]+)` \|(.+)\|$", table.split("\n\n")[0], flags=re.M)
    assert [name for name, _ in rows] and {name for name, _ in rows} == set(STRATEGIES)
    assert all(len(cells.split(" | ")) == 4 for _, cells in rows)
