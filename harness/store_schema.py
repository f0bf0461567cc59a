"""The SQL of the results store's schema, and the migrations that bring an older store to it.

Version 4 added ``importances``: each problem's hyperparameter importance in a suite's
round, fitted once its runs end (``harness.importances``), so a report reads it.
"""

SCHEMA_VERSION = 4

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS suites (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    source TEXT,
    config TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    started_at REAL NOT NULL,
    finished_at REAL,
    status TEXT NOT NULL,
    n_planned INTEGER NOT NULL,
    git_commit TEXT,
    package_versions TEXT NOT NULL,
    machine TEXT NOT NULL,
    round TEXT NOT NULL DEFAULT '',
    host TEXT,
    pid INTEGER,
    heartbeat REAL
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    suite_id INTEGER NOT NULL REFERENCES suites(id),
    suite TEXT NOT NULL,
    dataset TEXT NOT NULL,
    model TEXT NOT NULL,
    strategy TEXT NOT NULL,
    seed INTEGER NOT NULL,
    task TEXT NOT NULL,
    metric TEXT NOT NULL,
    cv INTEGER NOT NULL,
    n_jobs INTEGER NOT NULL,
    budget_s REAL NOT NULL,
    max_trials INTEGER,
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL,
    best_params TEXT,
    best_cv_score REAL,
    test_score REAL,
    wall_time_s REAL,
    cpu_time_s REAL,
    peak_mem_mb REAL,
    n_trials INTEGER NOT NULL,
    error TEXT,
    details TEXT,
    spec TEXT NOT NULL,
    host TEXT,
    git_commit TEXT,
    package_versions TEXT,
    started_at REAL,
    finished_at REAL,
    attempts INTEGER NOT NULL DEFAULT 1,
    round TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS runs_by_suite ON runs(suite, dataset, model, strategy);
CREATE INDEX IF NOT EXISTS runs_by_round ON runs(suite, round);
CREATE TABLE IF NOT EXISTS trials (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    params TEXT NOT NULL,
    cv_scores TEXT NOT NULL,
    mean_cv_score REAL,
    std_cv_score REAL,
    fit_time_s REAL,
    score_time_s REAL,
    elapsed_s REAL,
    fidelity TEXT,
    info TEXT,
    error TEXT,
    UNIQUE(run_id, number)
);
CREATE TABLE IF NOT EXISTS claims (
    key TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    token TEXT NOT NULL,
    claimed_at REAL NOT NULL,
    heartbeat REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS importances (
    suite TEXT NOT NULL,
    round TEXT NOT NULL,
    problem TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    computed_at REAL NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (suite, round, problem)
);
"""

# from version N to N + 1
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: ("ALTER TABLE suites ADD COLUMN round TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE runs ADD COLUMN round TEXT NOT NULL DEFAULT ''",
        "CREATE INDEX IF NOT EXISTS runs_by_round ON runs(suite, round)"),
    2: ("ALTER TABLE suites ADD COLUMN host TEXT",
        "ALTER TABLE suites ADD COLUMN pid INTEGER",
        "ALTER TABLE suites ADD COLUMN heartbeat REAL",
        "CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, host TEXT NOT NULL, "
        "pid INTEGER NOT NULL, token TEXT NOT NULL, claimed_at REAL NOT NULL, "
        "heartbeat REAL NOT NULL)"),
    3: ("CREATE TABLE IF NOT EXISTS importances (suite TEXT NOT NULL, round TEXT NOT NULL, "
        "problem TEXT NOT NULL, fingerprint TEXT NOT NULL, computed_at REAL NOT NULL, "
        "result TEXT NOT NULL, PRIMARY KEY (suite, round, problem))",),
}
