"""infolib.parallel: cached units in parallel give a serial run's numbers, and lose nothing."""

import os
import sys
import uuid
import warnings

import cloudpickle
import numpy as np
import pytest
import torch

from infolib.cache import current_unit, entry_path
from infolib.models import mlp
from infolib.parallel import cached_many
from infolib.train import fit

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import tests/


def train_unit(seed, markers):
    """A small seeded training: what a chapter's unit does. Leaves a marker per attempt."""
    (markers / f"{seed}-{uuid.uuid4().hex}").touch()
    generator = torch.Generator().manual_seed(100 + seed)
    x = torch.randn(64, 5, generator=generator)
    y = (x[:, 0] > 0).long()
    model = mlp(5, (8,), 2, seed=seed)
    fit(model, x, y, epochs=3, batch_size=16, lr=0.1, seed=seed, device="cpu", progress=False)
    return {"seed": seed, "weights": torch.nn.utils.parameters_to_vector(
        model.parameters()).detach().numpy()}


def crashing_unit(seed, markers):
    """Kills its worker process the first time it runs (a worker lost mid-unit)."""
    flag = markers / "crashed"
    if not flag.exists():
        flag.touch()
        os._exit(1)
    return train_unit(seed, markers)


def units(markers, crash_at=None):
    return [({"chapter": "parallel_test", "seed": s},
             (lambda s=s: crashing_unit(s, markers)) if s == crash_at
             else (lambda s=s: train_unit(s, markers)))
            for s in range(4)]


def attempts(markers, seed):
    return len(list(markers.glob(f"{seed}-*")))


@pytest.fixture
def folders(tmp_path, monkeypatch):
    monkeypatch.setenv("INFOLIB_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("INFOLIB_WORKERS", raising=False)
    monkeypatch.delenv("INFOLIB_SCHEDULER", raising=False)
    markers = tmp_path / "markers"
    markers.mkdir()
    return tmp_path, markers


def same(results, expected):
    assert [r["seed"] for r in results] == [e["seed"] for e in expected]
    for r, e in zip(results, expected):
        np.testing.assert_array_equal(r["weights"], e["weights"])


def serial_reference(tmp_path):
    markers = tmp_path / "reference-markers"
    markers.mkdir(exist_ok=True)
    return [train_unit(s, markers) for s in range(4)]


def test_one_worker_is_the_cached_loop(folders):
    tmp_path, markers = folders
    first = cached_many(units(markers))
    assert [attempts(markers, s) for s in range(4)] == [1, 1, 1, 1]
    same(cached_many(units(markers)), first)  # read back, nothing computed again
    assert [attempts(markers, s) for s in range(4)] == [1, 1, 1, 1]
    same(first, serial_reference(tmp_path))


def test_worker_processes_give_the_serial_numbers(folders):
    tmp_path, markers = folders
    same(cached_many(units(markers), workers=2), serial_reference(tmp_path))
    assert [attempts(markers, s) for s in range(4)] == [1, 1, 1, 1]
    same(cached_many(units(markers)), serial_reference(tmp_path))
    assert [attempts(markers, s) for s in range(4)] == [1, 1, 1, 1]


def test_a_local_dask_cluster_gives_the_serial_numbers_and_survives_a_lost_worker(folders):
    tmp_path, markers = folders
    results = cached_many(units(markers, crash_at=2), scheduler="local", workers=2)
    same(results, serial_reference(tmp_path))
    assert (markers / "crashed").exists()  # the worker running seed 2 was lost ...
    # ... and every unit was computed once: none that had finished was computed again.
    assert [attempts(markers, s) for s in range(4)] == [1, 1, 1, 1]
    same(cached_many(units(markers, crash_at=2)), results)  # read back: the same code, stored
    assert [attempts(markers, s) for s in range(4)] == [1, 1, 1, 1]


def test_finished_units_are_kept_when_a_worker_dies_without_retries(folders):
    tmp_path, markers = folders
    from joblib.externals.loky.process_executor import TerminatedWorkerError

    with pytest.raises(TerminatedWorkerError):  # joblib's processes do not retry a lost unit
        cached_many(units(markers, crash_at=3), workers=2)
    finished = [s for s in range(4) if attempts(markers, s) == 1]
    assert finished  # the units that finished before the crash are stored ...
    cached_many(units(markers, crash_at=3))  # ... so a rerun computes only the rest
    assert all(attempts(markers, s) == 1 for s in finished)
    assert [attempts(markers, s) for s in range(4)] == [1, 1, 1, 1]


def unit_name(seed):
    """What a unit that trains in segments keys them by: its entry's name."""
    return {"seed": seed, "unit": current_unit()}


def test_worker_processes_name_the_running_unit_as_a_serial_run_does(folders, monkeypatch):
    tmp_path, _ = folders
    named = [({"chapter": "parallel_test", "named": s}, lambda s=s: unit_name(s)) for s in range(4)]
    stems = [entry_path(key, compute).stem for key, compute in named]
    parallel = cached_many(named, workers=2)
    monkeypatch.setenv("INFOLIB_CACHE", str(tmp_path / "serial-cache"))
    serial = cached_many(named)
    assert [r["unit"] for r in serial] == stems
    assert parallel == serial, "a worker must run the unit as cached() does"


def global_draws(seed):
    return [float(np.random.rand()), float(torch.rand(()))]


def test_a_worker_seeds_the_global_generators_as_a_serial_run_does(folders, monkeypatch):
    """A worker process's generators are in whatever state its earlier units left them: a unit
    that draws from them would differ from a serial run's without the unit's own seed."""
    tmp_path, _ = folders
    drawing = [({"chapter": "parallel_test", "draws": s}, lambda s=s: global_draws(s))
               for s in range(4)]
    parallel = cached_many(drawing, workers=2)
    monkeypatch.setenv("INFOLIB_CACHE", str(tmp_path / "serial-cache"))
    assert cached_many(drawing) == parallel
    assert len({tuple(v) for v in parallel}) == 4


def test_bad_arguments_are_rejected(folders, monkeypatch):
    with pytest.raises(TypeError, match=r"units\[0\] must be a \(key, compute\) pair"):
        cached_many([{"chapter": "x"}])
    with pytest.raises(ValueError, match="workers"):
        cached_many([], workers=0)
    monkeypatch.setenv("INFOLIB_WORKERS", "two")
    with pytest.raises(ValueError, match="INFOLIB_WORKERS must be a whole number"):
        cached_many([])
    monkeypatch.setenv("INFOLIB_WORKERS", "0")  # named as the reader set it
    with pytest.raises(ValueError, match="INFOLIB_WORKERS must be an int >= 1, got 0"):
        cached_many([])


def warning_unit(seed):
    warnings.warn(f"unit {seed} warns in its worker", RuntimeWarning, stacklevel=1)
    return seed


def test_warnings_issued_in_a_worker_are_shown_in_the_calling_process(folders):
    """As a serial run shows them: computed by workers, then read from the cache."""
    units = [({"chapter": "parallel_test", "seed": s}, lambda s=s: warning_unit(s))
             for s in range(3)]
    for workers in (2, 2, 1):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            assert cached_many(units, workers=workers) == [0, 1, 2]
        assert sorted(str(w.message) for w in record if w.category is RuntimeWarning) == [
            f"unit {s} warns in its worker" for s in range(3)]


def unstorable_unit():
    return {"value": object()}


def test_a_worker_that_cannot_store_a_unit_says_so_in_the_calling_process(folders, monkeypatch):
    import infolib.cache

    monkeypatch.setattr(infolib.cache, "_UNIT_WARNINGS", {})
    units = [({"chapter": "parallel_test", "seed": s}, unstorable_unit) for s in range(2)]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        cached_many(units, workers=2)
    assert sum(w.category is infolib.cache.CacheWarning for w in record) == 2
    counted = infolib.cache.unit_warnings()  # one per entry: the messages name their paths
    assert [(w["category"], w["times"]) for w in counted] == [
        ("infolib.cache.CacheWarning", 1)] * 2
    assert all(w["message"].startswith("the result was not cached") for w in counted)


def slow_warning_unit(name):
    import time

    warnings.warn(f"{name}1", RuntimeWarning, stacklevel=1)
    time.sleep(0.2)
    warnings.warn(f"{name}2", RuntimeWarning, stacklevel=1)
    return name


def test_units_of_one_worker_process_take_turns_and_keep_their_own_warnings(folders):
    """A Dask worker with two threads runs two units in one process: catch_warnings is per
    process, so unit A's entry stored A1, A2 and B1, and unit B's none. They take turns now."""
    import functools
    import threading

    from infolib.cache import canonical_key, entry_meta
    from infolib.parallel import _run_unit

    tasks = {}
    for name in "AB":
        key = {"chapter": "parallel_test", "unit": name}
        compute = functools.partial(slow_warning_unit, name)
        tasks[name] = (str(entry_path(key, compute)), canonical_key(key), compute)
    threads = [threading.Thread(target=_run_unit, args=tasks[name]) for name in "AB"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for name in "AB":
        stored = entry_meta(tasks[name][0])["warnings"]
        assert sorted(w["message"] for w in stored) == [f"{name}1", f"{name}2"]


def unit_with_parts(seed):
    """Stores two parts of itself on the way, as a training in segments does."""
    from infolib.cache import cached

    parts = [cached({"chapter": "parallel_test", "part": j, "of": seed}, lambda j=j: seed * 10 + j)
             for j in range(2)]
    return sum(parts)


def test_entries_stored_inside_a_worker_unit_are_counted_as_a_serial_run_counts_them(
        folders, monkeypatch):
    import collections

    import infolib.cache

    tmp_path, _ = folders
    counts = []
    for workers in (1, 2):
        monkeypatch.setenv("INFOLIB_CACHE", str(tmp_path / f"cache-{workers}"))
        monkeypatch.setattr(infolib.cache, "_FLOAT_PATHS", collections.Counter())
        units = [({"chapter": "parallel_test", "seed": s}, lambda s=s: unit_with_parts(s))
                 for s in range(2)]
        assert cached_many(units, workers=workers) == [1, 21]
        counts.append(sum(infolib.cache.float_paths().values()))
    assert counts == [6, 6]  # each unit and its two parts (workers=2 counted 2)


def test_a_shard_run_decides_each_unit_even_with_workers(folders, monkeypatch):
    """In a shard run (cache.unit_hook set) the hook decides every unit, as in a serial run:
    another shard's unit is a stand-in, not computed here by a worker."""
    import infolib.cache
    import infolib.parallel

    met = []
    monkeypatch.setattr(infolib.cache, "unit_hook",
                        lambda path, canonical, compute: (met.append(canonical), ("stand-in",
                                                                                  False))[1])
    monkeypatch.setattr(infolib.parallel, "_run_parallel", lambda *args: pytest.fail("a worker"))
    units = [({"chapter": "parallel_test", "seed": s}, lambda s=s: s) for s in range(3)]
    assert cached_many(units, workers=2) == ["stand-in"] * 3 and len(met) == 3


def test_a_workers_warning_is_counted_for_the_unit_that_issued_it(folders, monkeypatch):
    import infolib.cache

    monkeypatch.setattr(infolib.cache, "_UNIT_WARNINGS", {})
    units = [({"chapter": "parallel_test", "experiment": "final", "seed": s},
              lambda s=s: warning_unit(s)) for s in range(3)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cached_many(units, workers=2)
    named = {w["message"]: w["units"] for w in infolib.cache.unit_warnings()}
    assert named == {f"unit {s} warns in its worker": [f"experiment final, seed {s}"]
                     for s in range(3)}
