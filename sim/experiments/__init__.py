"""Experiments: designs, the runner, engines (local processes, Dask), sweeps and their storage."""
