"""Execution: run one spec in a worker process (local pool, fork server, Dask task).

It imports neither the suite configuration nor the store: specs come in, results go out.
"""
