"""The float path: the reference variables reach every library, and the digest tells paths apart."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from infolib import numerics
from infolib.cache import UNRECORDED, cached, entry_meta, entry_path, float_paths, note_float_path

AVX2 = "avx2" in Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else False
AVX512 = AVX2 and "avx512f" in Path("/proc/cpuinfo").read_text()
needs_avx2 = pytest.mark.skipif(not AVX2, reason="the reference path is for x86-64 with AVX2")

PROBE = ("import json; from infolib import numerics; "
         "print(json.dumps(numerics.float_path()))")


def path_in(extra: dict) -> dict:
    """float_path() of a fresh process on the reference path with ``extra`` variables on top
    (a variable set to None is removed)."""
    env = {**os.environ, **numerics.reference_env()}
    for name, value in extra.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    result = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                            text=True, check=True, timeout=300)
    return json.loads(result.stdout.splitlines()[-1])


def test_reference_env_pins_every_library_and_two_threads():
    env = numerics.reference_env()
    assert env["ATEN_CPU_CAPABILITY"] == "avx2" and env["MKL_CBWR"] == "COMPATIBLE"
    assert env["ONEDNN_MAX_CPU_ISA"] == "AVX2" and env["OPENBLAS_CORETYPE"] == "Haswell"
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        assert env[name] == str(numerics.REFERENCE_THREADS) == "2"
    disabled = env["NPY_DISABLE_CPU_FEATURES"].split(",") if env["NPY_DISABLE_CPU_FEATURES"] else []
    assert all(name == "X86_V4" or "AVX512" in name for name in disabled)
    assert numerics.on_reference_path(env)
    assert not numerics.on_reference_path({**env, "MKL_CBWR": "AUTO"})
    assert not numerics.on_reference_path({})


def test_make_runs_chapters_on_the_path_numerics_names(make_dry_run):
    chapter = "book/chapters/information_distance_tasks.ipynb"
    words = " ".join(f"{name}={value}" for name, value in numerics.reference_env().items())
    reference = make_dry_run("-B", chapter)
    assert f"env {words} NUMBA_NUM_THREADS=" in reference and "papermill" in reference
    cores = len(os.sched_getaffinity(0))  # nproc's count
    native = make_dry_run("-B", chapter, "NUMERICS=native")
    assert "MKL_CBWR" not in native and f"OMP_NUM_THREADS={cores} " in native
    assert f"OMP_NUM_THREADS={max(cores // 2, 1)} " in make_dry_run(
        "-B", "-j2", chapter, "NUMERICS=native")
    assert f"env {words}" in make_dry_run("-B", "run", "CHAPTER=fisher")
    wrong = make_dry_run(chapter, "NUMERICS=fast", check=False)
    assert wrong.returncode != 0 and "NUMERICS must be reference or native" in wrong.stderr


def test_env_command_prints_what_make_passes_to_env():
    result = subprocess.run([sys.executable, "-m", "infolib.numerics", "env"],
                            capture_output=True, text=True, check=True)
    words = result.stdout.split()
    assert dict(word.split("=", 1) for word in words) == numerics.reference_env()


@needs_avx2
def test_a_process_on_the_reference_path_takes_the_pinned_kernels(reference_path):
    path = reference_path
    assert path["reference"] is True
    assert path["torch_capability"] == "AVX2" and path["threads"] == 2
    assert path["mkl_branch"] == "compatible"
    assert path["onednn_max_isa"] == "AVX2"
    assert path["openblas"] == "Haswell x2"
    assert numerics.describe(path) == (f"reference {path['digest']} (torch AVX2, MKL compatible, "
                                       "2 threads)")


@pytest.fixture(scope="module")
def reference_path():
    first = path_in({})
    assert path_in({})["digest"] == first["digest"], "one path, one digest"
    return first


@needs_avx2
@pytest.mark.parametrize("variable, value", [
    ("ATEN_CPU_CAPABILITY", "default"),      # torch's loops without vectors
    ("MKL_CBWR", "AUTO"),                    # MKL's branch for this processor
    ("ONEDNN_MAX_CPU_ISA", "SSE41"),         # oneDNN's convolutions
    ("NPY_DISABLE_CPU_FEATURES", None),      # numpy's AVX-512 loops on again
    ("OPENBLAS_CORETYPE", "Sandybridge"),    # OpenBLAS's AVX kernels
    ("OPENBLAS_NUM_THREADS", "1"),           # OpenBLAS's threads
    ("OMP_NUM_THREADS", "1"),                # torch's threads (with MKL's)
])
def test_the_digest_moves_with_every_reference_variable(reference_path, variable, value):
    if variable == "NPY_DISABLE_CPU_FEATURES" and not AVX512:
        pytest.skip("no AVX-512 here: the numpy loops this variable turns off never run")
    changed = {variable: value}
    if variable == "OMP_NUM_THREADS":
        changed["MKL_NUM_THREADS"] = value
    moved = path_in(changed)
    assert moved["reference"] is False
    assert moved["digest"] != reference_path["digest"], f"the probe does not reach {variable}"


def test_the_digest_leaves_the_random_states_alone_and_is_remembered():
    numerics._digest.cache_clear()  # an earlier test may have computed it: run the probe here
    torch.manual_seed(5)
    np.random.seed(5)
    expected = torch.rand(3), np.random.rand(3)
    torch.manual_seed(5)
    np.random.seed(5)
    first = numerics.float_path_digest()
    assert torch.equal(torch.rand(3), expected[0]) and np.array_equal(np.random.rand(3),
                                                                       expected[1])
    assert numerics.float_path_digest() == first and len(first) == 12
    int(first, 16)


def test_the_digest_is_remembered_per_thread_count():
    """The probe's sums are split over torch's threads: a digest computed at one thread count is
    not the one at another (a mutant that kept one digest for every count passed the others)."""
    numerics._digest.cache_clear()
    threads = torch.get_num_threads()
    try:
        for count in (1, 2):
            torch.set_num_threads(count)
            numerics.float_path_digest()
        assert numerics._digest.cache_info().currsize == 2
    finally:
        torch.set_num_threads(threads)


def test_the_digest_is_the_same_inside_inference_mode_and_with_another_default_dtype():
    """The first cached() write of a process computes the digest: inside a caller's
    torch.inference_mode() it failed (and the computed value was lost), and a float64 default
    dtype gave another digest for the same machine."""
    numerics._digest.cache_clear()
    outside = numerics.float_path_digest()
    numerics._digest.cache_clear()
    with torch.inference_mode():
        assert numerics.float_path_digest() == outside
    numerics._digest.cache_clear()
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        assert numerics.float_path_digest() == outside
    finally:
        torch.set_default_dtype(default)


def test_entries_record_and_count_the_float_path(tmp_path):
    before = float_paths()
    key = {"chapter": "c", "experiment": "float path", "seed": 0}
    value = cached(key, lambda: np.arange(3.0), root=tmp_path)
    path = entry_path(key, lambda: np.arange(3.0), root=tmp_path)
    digest = numerics.float_path_digest()
    assert entry_meta(path)["float_path"] == digest
    assert float_paths().get(digest, 0) == before.get(digest, 0) + 1  # written
    assert np.array_equal(cached(key, lambda: np.arange(3.0), root=tmp_path), value)
    assert float_paths().get(digest, 0) == before.get(digest, 0) + 2  # and read
    note_float_path({"format": 2, "key": "k"})  # an entry from before the record
    assert float_paths()[UNRECORDED] == before.get(UNRECORDED, 0) + 1
