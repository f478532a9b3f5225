"""Cached units in parallel: joblib worker processes on this machine, or a Dask cluster.

:func:`cached_many` is :func:`infolib.cache.cached` for a list of units::

    results = cached_many([(key(s), lambda s=s: run(s)) for s in seeds])

With one worker (the default), with the cache off (``INFOLIB_CACHE=off``: nothing could be kept
of a worker's unit) and in a shard's run, it is exactly
``[cached(key, compute) for key, compute in units]``. Otherwise the units that are not in the
cache run in parallel through ``joblib``:

- ``workers=N`` (or ``INFOLIB_WORKERS=N``): N worker processes here (joblib's ``loky``);
- ``scheduler="local"`` (or ``INFOLIB_SCHEDULER=local``): a ``dask.distributed`` LocalCluster of
  ``workers`` processes (2 when ``workers`` is 1 or not given);
- ``scheduler="tcp://host:8786"`` (or ``INFOLIB_SCHEDULER=tcp://...``): a running Dask scheduler,
  through joblib's Dask backend. Its workers need ``infolib`` and the data installed, and the
  cache folder (``INFOLIB_CACHE``) on a file system they share with this process.

Each unit's entry (its key and the fingerprint of its code) is found here, in the calling process,
where the chapter's source can be read; each worker process runs one unit at a time (a Dask worker
with several threads too: its units take turns) with one torch thread,
and writes the unit's entry the moment it is done (atomically, as :func:`cached` does). A worker
that dies loses only the unit it was running: a unit that is run again after a worker was lost
reads the entry written before instead of computing it twice. Results come back in the order of
``units``, bit for bit a serial run's with one torch thread (``OMP_NUM_THREADS=1``): each unit is
seeded by its own key, not by where it runs. The warnings a unit's computation issued in a worker
are issued again here, in the calling process, as a serial run would show them. A serial run
with more threads splits float sums differently (the usable-information chapter's smoke profile:
up to 1e-4 bits apart).
"""

from __future__ import annotations

import collections
import contextlib
import os
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from infolib import cache
from infolib.checks import integer

WORKERS_VARIABLE = "INFOLIB_WORKERS"
SCHEDULER_VARIABLE = "INFOLIB_SCHEDULER"

Unit = tuple[dict, Callable[[], Any]]


def cached_many(
    units: Sequence[Unit],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
) -> list[Any]:
    """``[cached(key, compute) for key, compute in units]``, the missing units in parallel.

    ``workers``: processes (default ``$INFOLIB_WORKERS``, else 1: serial, in this process).
    ``scheduler``: ``None`` (joblib processes here), ``"local"`` (a Dask LocalCluster) or the
    address of a Dask scheduler (default ``$INFOLIB_SCHEDULER``). An error in a unit is raised
    here after the units that finished have been stored.
    """
    units = list(units)
    for index, unit in enumerate(units):
        if not (isinstance(unit, tuple) and len(unit) == 2 and callable(unit[1])):
            raise TypeError(f"units[{index}] must be a (key, compute) pair, got {unit!r}")
    workers, scheduler = _settings(workers, scheduler)
    paths = [cache.entry_path(key, compute) for key, compute in units]
    sharded = getattr(cache, "unit_hook", None) is not None
    serial = (workers == 1 and scheduler is None) or None in paths or sharded
    if serial:  # caching off or a shard run: cached() decides unit by unit
        return [cache.cached(key, compute) for key, compute in units]
    canonicals = [cache.canonical_key(key) for key, _ in units]
    results: list[Any] = [None] * len(units)
    missing = []
    for index, (path, canonical) in enumerate(zip(paths, canonicals)):
        value = _stored(path, canonical)
        if value is _MISSING:
            missing.append(index)
        else:
            results[index] = value
    if missing:
        tasks = [(str(paths[i]), canonicals[i], units[i][1]) for i in missing]
        done = _run_parallel(tasks, workers, scheduler)
        for index, (value, issued, inner_paths) in zip(missing, done):
            results[index] = value
            cache.reissue(issued, canonicals[index], from_worker=True)  # where it is read
            cache._FLOAT_PATHS.update(inner_paths)  # entries the unit read or wrote inside
            with contextlib.suppress(OSError, ValueError):  # a worker could not store it
                cache.note_float_path(cache.entry_meta(paths[index]))
    for path in paths:
        if path.exists():
            cache._log_use(path)
    return results


def _settings(workers, scheduler) -> tuple[int, str | None]:
    name = "workers"
    if workers is None:
        name, workers = WORKERS_VARIABLE, os.environ.get(WORKERS_VARIABLE) or 1
        try:
            workers = int(workers)
        except ValueError:
            message = f"{WORKERS_VARIABLE} must be a whole number, got {workers!r}"
            raise ValueError(message) from None
    workers = integer(name, workers, minimum=1)
    if scheduler is None:
        scheduler = os.environ.get(SCHEDULER_VARIABLE) or None
    if scheduler is not None and not isinstance(scheduler, str):
        raise TypeError(f"scheduler must be None, 'local' or an address, got {scheduler!r}")
    return workers, scheduler


_MISSING = object()


def _stored(path: Path, canonical: str) -> Any:
    """The value stored at ``path``, or ``_MISSING`` when there is none usable."""
    if not path.exists():
        return _MISSING
    try:
        return cache.read_entry(path, canonical)
    except Exception as error:  # as cached(): an unusable entry is recomputed, with a warning
        cache.cache_warning(f"cache entry {path} is unusable ({error}); recomputing",
                            stacklevel=3)
        return _MISSING


def _run_parallel(tasks, workers: int, scheduler: str | None) -> list[Any]:
    import joblib

    jobs = (joblib.delayed(_run_unit)(*task) for task in tasks)
    if scheduler is None:
        with joblib.parallel_config(backend="loky", inner_max_num_threads=1):
            return joblib.Parallel(n_jobs=workers)(jobs)
    from dask.distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        if scheduler == "local":
            scheduler = stack.enter_context(LocalCluster(
                n_workers=workers if workers > 1 else 2, threads_per_worker=1, processes=True,
                dashboard_address=None))
        stack.enter_context(Client(scheduler))
        stack.enter_context(joblib.parallel_config(backend="dask"))
        return joblib.Parallel()(jobs)


_ONE_AT_A_TIME = threading.Lock()  # warnings.catch_warnings and torch's threads are per process


def _run_unit(path: str, canonical: str,
              compute: Callable[[], Any]) -> tuple[Any, list[dict], dict[str, int]]:
    """On a worker: the stored value if an earlier attempt finished, else ``compute()``, stored
    the moment it is done. One torch thread: the workers share the machine's cores; one unit at
    a time in a process (a Dask worker's threads would otherwise record each other's warnings).
    As in :func:`infolib.cache.cached`, the global generators start from the unit's seed
    (:func:`infolib.cache.seeded_globals`) and :func:`infolib.cache.current_unit` names the
    entry while ``compute()`` runs (the segments of a training are keyed by it). Returns the
    value, the :func:`infolib.cache.warning_records` of what this worker's process was warned
    of (the stored or computed unit's warnings, and any about the entry, for the caller to
    issue), and the :func:`infolib.cache.float_paths` counts of the entries ``compute()`` read
    or wrote inside (a training's segments), for the caller's count."""
    import torch

    with _ONE_AT_A_TIME:
        torch.set_num_threads(1)
        path = Path(path)
        with warnings.catch_warnings(record=True) as reading:
            value = _stored(path, canonical)
        shown = cache.warning_records(reading)  # a stored unit's warnings, or why recomputed
        if value is not _MISSING:
            return value, shown, {}
        before = collections.Counter(cache.float_paths())
        with cache.running_unit(path), cache.seeded_globals(canonical), \
                warnings.catch_warnings(record=True) as computing:
            value = compute()
        inner_paths = dict(collections.Counter(cache.float_paths()) - before)
        issued = cache.warning_records(computing)
        with warnings.catch_warnings(record=True) as writing:
            try:
                cache.write_entry(path, canonical, value, cache.of_the_computation(issued))
            except (OSError, cache.UnstorableValue) as error:
                cache.cache_warning(f"the result was not cached: cannot write {path} ({error})",
                                    stacklevel=2)
        return value, shown + issued + cache.warning_records(writing), inner_paths
