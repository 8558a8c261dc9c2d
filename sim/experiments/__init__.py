"""Experiments: designs, the runner, engines (local processes, Dask), results folders (one layout for
run, sweep and compare; checks; resume), sweeps and storage."""
