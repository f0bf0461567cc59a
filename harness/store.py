"""The SQLite results store: suites, runs and trials; one writer (the harness process).

WAL mode; a schema version checked on open; a run and its trials are committed in one
transaction when the run ends, so a crash never leaves half a run.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import UserError
from harness.records import FINISHED_STATUSES, RunResult, SuiteStatus
from harness.store_schema import MIGRATIONS as _MIGRATIONS
from harness.store_schema import SCHEMA as _SCHEMA
from harness.store_schema import SCHEMA_VERSION

if TYPE_CHECKING:
    import pandas as pd



DEFAULT_DB = Path("results") / "harness.db"

_RUN_COLUMNS = ("id", "key", "suite_id", "suite", "dataset", "model", "strategy", "seed", "task",
                "metric", "cv", "n_jobs", "budget_s", "max_trials", "fingerprint", "status",
                "best_params", "best_cv_score", "test_score", "wall_time_s", "cpu_time_s",
                "peak_mem_mb", "n_trials", "error", "details", "host", "git_commit",
                "package_versions", "started_at", "finished_at", "attempts", "round")
_JSON_COLUMNS = {"best_params", "details", "package_versions", "params", "cv_scores",
                 "fidelity", "info", "config", "machine", "spec"}


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, default=str)


class ResultStore:
    """The results database. Use as a context manager or call :meth:`close`."""

    def __init__(self, path: str | Path = DEFAULT_DB, *, create: bool = True):
        self.path = Path(path)
        if not create and not self.path.exists():
            raise UserError(f"no results database at {self.path}; run a suite first "
                            "(harness run) or pass --db PATH")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._check_schema()
        except sqlite3.DatabaseError as exc:
            raise UserError(f"{self.path} is not a harness results database ({exc})") from None

    def _check_schema(self) -> None:
        """Create, migrate or accept the schema. Each decision is made again inside a write
        transaction, so harness processes opening one new database at once agree."""
        if self._schema_version() == SCHEMA_VERSION:
            return
        with self.transaction() as conn:
            found = self._schema_version()
            if found == SCHEMA_VERSION:
                return
            if found in _MIGRATIONS:  # bring an older store up to date: no row is lost
                for version in range(found, SCHEMA_VERSION):
                    for statement in _MIGRATIONS[version]:
                        conn.execute(statement)
                conn.execute("UPDATE meta SET value=? WHERE key='schema_version'",
                             (str(SCHEMA_VERSION),))
                return
            if found is not None:
                raise UserError(f"{self.path} has schema version {found}; this harness reads "
                                f"version {SCHEMA_VERSION}. Use a new --db path or migrate.")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if tables - {"meta"}:
                raise UserError(f"{self.path} is an SQLite file but not a harness results "
                                "database")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("INSERT INTO meta(key, value) VALUES ('schema_version', ?)",
                         (str(SCHEMA_VERSION),))

    def _schema_version(self) -> int | None:
        tables = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master")}
        if "meta" not in tables:
            return None
        row = self._conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0]) if row else None

    @property
    def connection(self) -> sqlite3.Connection:
        """The store's connection (for readers in this thread, such as claims)."""
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error)."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """Reads in one (deferred) transaction, so that several SELECTs see one state of the
        store: between two of them a harness process may commit, and replace a run (a new
        id for its key); within an open transaction, that one."""
        if self._conn.in_transaction:
            yield
            return
        self._conn.execute("BEGIN")
        try:
            yield
        finally:
            self._conn.execute("COMMIT")

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- suites -------------------------------------------------------------------------
    def start_suite(self, *, name: str, source: str | None, config: Mapping[str, Any],
                    config_hash: str, n_planned: int, git_commit: str | None,
                    package_versions: Mapping[str, str], machine: Mapping[str, Any],
                    round: str = "", host: str | None = None, pid: int | None = None) -> int:
        """Record the start of a suite run (in a round, e.g. a night) by the process
        ``pid`` on ``host``; returns its id."""
        now = time.time()
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO suites(name, source, config, config_hash, started_at, status, "
                "n_planned, git_commit, package_versions, machine, round, host, pid, heartbeat) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (name, source, _dumps(config), config_hash, now, SuiteStatus.RUNNING,
                 n_planned, git_commit,
                 _dumps(package_versions), _dumps(machine), round, host, pid, now))
            return int(cur.lastrowid or 0)

    def finish_suite(self, suite_id: int, status: SuiteStatus) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE suites SET finished_at=?, status=? WHERE id=?",
                         (time.time(), status, suite_id))

    # -- runs ---------------------------------------------------------------------------
    def finished_keys(self, keys: Iterable[str], *, statuses: Iterable[str] = FINISHED_STATUSES,
                      since: float | None = None) -> set[str]:
        """Which of ``keys`` are stored with one of ``statuses`` (or, given ``since``, stored
        with any status by a run that finished after it)."""
        wanted = list(keys)
        statuses = tuple(statuses)
        found: set[str] = set()
        marks = ",".join("?" * len(statuses))
        recent = float("inf") if since is None else since
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            rows = self._conn.execute(
                f"SELECT key FROM runs WHERE (status IN ({marks}) OR finished_at >= ?) AND key IN "
                f"({','.join('?' * len(chunk))})", (*statuses, recent, *chunk))
            found.update(r[0] for r in rows)
        return found

    def run_durations(self, models: Iterable[str]) -> list[dict[str, Any]]:
        """The kind (strategy, model, dataset, budget_s, max_trials), status and wall time of
        every stored run of ``models``: what the progress bar's estimate learns from."""
        names = list(dict.fromkeys(models))
        if not names:
            return []
        return [dict(r) for r in self._conn.execute(
            "SELECT strategy, model, dataset, budget_s, max_trials, status, wall_time_s FROM runs "
            f"WHERE model IN ({','.join('?' * len(names))})", names)]

    def save_run(self, result: RunResult, *, suite_id: int, git_commit: str | None,
                 package_versions: Mapping[str, str]) -> int:
        """Store a run and its trials in one transaction (replacing an earlier row of its key)."""
        spec = result.spec
        with self.transaction() as conn:
            conn.execute("DELETE FROM runs WHERE key=?", (spec.key,))
            cur = conn.execute(
                "INSERT INTO runs(key, suite_id, suite, dataset, model, strategy, seed, task, "
                "metric, cv, n_jobs, budget_s, max_trials, fingerprint, status, best_params, "
                "best_cv_score, test_score, wall_time_s, cpu_time_s, peak_mem_mb, n_trials, "
                "error, details, spec, host, git_commit, package_versions, started_at, "
                "finished_at, attempts, round) VALUES "
                "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (spec.key, suite_id, spec.suite, spec.dataset, spec.model, spec.strategy,
                 spec.seed, spec.task, spec.metric, spec.cv, spec.n_jobs, spec.time_s,
                 spec.max_trials, spec.fingerprint, result.status, _dumps(result.best_params),
                 result.best_cv_score, result.test_score, result.wall_time_s, result.cpu_time_s,
                 result.peak_mem_mb, len(result.trials), result.error, _dumps(result.details),
                 _dumps(spec.to_dict()), result.host, git_commit, _dumps(package_versions),
                 result.started_at, result.finished_at, result.attempts, spec.round))
            run_id = int(cur.lastrowid or 0)
            conn.executemany(
                "INSERT INTO trials(run_id, number, params, cv_scores, mean_cv_score, "
                "std_cv_score, fit_time_s, score_time_s, elapsed_s, fidelity, info, error) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [(run_id, t["number"], _dumps(t["params"]), _dumps(t["cv_scores"]),
                  t.get("mean_cv_score"), t.get("std_cv_score"), t.get("fit_time_s"),
                  t.get("score_time_s"), t.get("elapsed_s"), _dumps(t.get("fidelity")),
                  _dumps(t.get("info") or None), t.get("error")) for t in result.trials])
        return run_id

    def runs(self, *, suite: str | None = None, keys: Iterable[str] | None = None,
             round: str | None = None) -> list[dict[str, Any]]:
        """Runs as dicts (JSON columns decoded), oldest first."""
        sql, args = "SELECT * FROM runs", []
        clauses = []
        if suite is not None:
            clauses.append("suite = ?")
            args.append(suite)
        if round is not None:
            clauses.append("round = ?")
            args.append(round)
        if keys is not None:
            key_list = list(keys)
            clauses.append(f"key IN ({','.join('?' * len(key_list))})")
            args.extend(key_list)
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        return [_decode(r) for r in self._conn.execute(sql + " ORDER BY id", args)]

    def run(self, ref: str) -> dict[str, Any]:
        """One run by id or by (a unique prefix of) its key."""
        rows = []
        if ref.isdigit():
            rows = self._conn.execute("SELECT * FROM runs WHERE id=?", (int(ref),)).fetchall()
        if not rows:
            rows = self._conn.execute("SELECT * FROM runs WHERE key LIKE ?",
                                      (ref + "%",)).fetchall()
        if not rows:
            raise UserError(f"no run {ref!r} in {self.path}; give a run id or key "
                            "(see harness export or the summary table)")
        if len(rows) > 1:
            raise UserError(f"run key prefix {ref!r} matches {len(rows)} runs; give more of it")
        return _decode(rows[0])

    def trials(self, run_id: int) -> list[dict[str, Any]]:
        return [_decode(r) for r in self._conn.execute(
            "SELECT * FROM trials WHERE run_id=? ORDER BY number", (run_id,))]

    def suite_name(self, name: str | None = None) -> str:
        """``name`` if a suite of that name is stored, else the suite run last when no name
        is given; UserError naming the stored suites otherwise."""
        names = [s["name"] for s in self.suites()]
        if not names:
            raise UserError(f"{self.path} holds no suite runs yet; run a suite first "
                            "(harness run)")
        if name is None:
            return names[-1]
        if name not in names:
            raise UserError(f"no suite {name!r} in {self.path}; stored suites: "
                            f"{', '.join(dict.fromkeys(names))}")
        return name

    def suites(self, name: str | None = None) -> list[dict[str, Any]]:
        sql, args = "SELECT * FROM suites", []
        if name is not None:
            sql, args = sql + " WHERE name=?", [name]
        return [_decode(r) for r in self._conn.execute(sql + " ORDER BY id", args)]

    # -- importance --------------------------------------------------------------------
    def save_importances(self, *, suite: str, round: str,
                         fits: Iterable[Mapping[str, Any]]) -> None:
        """Store problems' hyperparameter importances in a suite's round, in one transaction
        (replacing earlier ones): each fit ``{"problem", "fingerprint", "result"}``, the
        fingerprint that of the runs it was fitted on."""
        now = time.time()
        with self.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO importances(suite, round, problem, fingerprint, "
                "computed_at, result) VALUES (?, ?, ?, ?, ?, ?)",
                [(suite, round, f["problem"], f["fingerprint"], now, _dumps(f["result"]))
                 for f in fits])

    def most_scored_trials(self, *, suite: str, round: str) -> int:
        """The most scored trials any one (dataset, model) of the suite's round holds."""
        row = self._conn.execute(
            "SELECT max(n) FROM (SELECT count(*) AS n FROM trials t JOIN runs r ON "
            "r.id = t.run_id WHERE r.suite=? AND r.round=? AND t.mean_cv_score IS NOT NULL "
            "GROUP BY r.dataset, r.model)", (suite, round)).fetchone()
        return int(row[0] or 0)

    def importances(self, *, suite: str, round: str) -> dict[str, tuple[str, dict[str, Any]]]:
        """Per problem of the suite's round: (fingerprint, stored importance)."""
        rows = self._conn.execute("SELECT problem, fingerprint, result FROM importances "
                                  "WHERE suite=? AND round=?", (suite, round))
        return {r[0]: (r[1], json.loads(r[2])) for r in rows}

    # -- pandas -------------------------------------------------------------------------
    def runs_frame(self, *, suite: str | None = None, round: str | None = None
                   ) -> pd.DataFrame:
        """Runs as a DataFrame (JSON columns decoded to Python objects)."""
        import pandas as pd

        return pd.DataFrame(self.runs(suite=suite, round=round),
                            columns=[*_RUN_COLUMNS, "spec"])

    def trials_frame(self, *, suite: str | None = None, round: str | None = None
                     ) -> pd.DataFrame:
        """Trials joined with their run's identifying columns, in run and trial order."""
        import pandas as pd

        clauses, args = [], []
        for column, value in (("suite", suite), ("round", round)):
            if value is not None:
                clauses.append(f"{column} = ?")
                args.append(value)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        cursor = self._conn.cursor()
        cursor.row_factory = None  # plain tuples, decoded column by column below
        with self._snapshot():  # the runs' columns are filled in below, not read per trial
            rows = cursor.execute(
                f"SELECT {', '.join(_TRIAL_COLUMNS)} FROM trials WHERE run_id IN "
                f"(SELECT id FROM runs{where}) ORDER BY run_id, number", args).fetchall()
            runs = {r[0]: r[1:] for r in cursor.execute(
                f"SELECT id, {', '.join(_TRIAL_RUN_COLUMNS.values())} FROM runs{where}", args)}
        columns = [*_TRIAL_COLUMNS, *_TRIAL_RUN_COLUMNS]
        if not rows:
            return pd.DataFrame([], columns=columns)
        values = dict(zip(_TRIAL_COLUMNS, map(list, zip(*rows, strict=True)), strict=True))
        for key in _JSON_COLUMNS & values.keys():
            values[key] = _loads_all(values[key])
        of_trial = [runs[run_id] for run_id in values["run_id"]]
        for i, column in enumerate(_TRIAL_RUN_COLUMNS):
            values[column] = [run[i] for run in of_trial]
        return pd.DataFrame(values, columns=columns)


#: A trial's own columns; then those of its run that :meth:`ResultStore.trials_frame` adds
#: (the frame's name: the ``runs`` column)
_TRIAL_COLUMNS = ("id", "run_id", "number", "params", "cv_scores", "mean_cv_score",
                  "std_cv_score", "fit_time_s", "score_time_s", "elapsed_s", "fidelity", "info",
                  "error")
_TRIAL_RUN_COLUMNS = {"run_key": "key", "suite": "suite", "dataset": "dataset", "model": "model",
                      "strategy": "strategy", "seed": "seed", "round": "round"}


def _loads_all(texts: list[str | None]) -> list[Any]:
    """Each JSON text decoded (None stays None), in one call to the decoder: a third of
    the time of one call per text, on 20,000 trials."""
    return json.loads("[" + ",".join("null" if t is None else t for t in texts) + "]")


def _decode(row: sqlite3.Row) -> dict[str, Any]:
    out = dict(row)
    for key in _JSON_COLUMNS & out.keys():
        if out[key] is not None:
            out[key] = json.loads(out[key])
    return out
