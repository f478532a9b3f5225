"""The float path: which kernels compute a chapter's floats, and the reference path the book pins.

Same code, same seeds and same library versions still give different floats on two machines
when the libraries pick different kernels: torch's vectorized loops (AVX-512 or AVX2), MKL's
matrix products (its Intel and AMD branches), oneDNN's convolutions, numpy's SIMD loops,
OpenBLAS's kernels, and every library's thread count (a sum split over two threads is added in
another order than over one). The differences start in the last bit; training amplifies them
until two runs of one seed differ like two seeds, and a verdict near the edge of its interval
can move (measured: four claims of the information-distance chapter moved between two 2-core
machines at one commit).

The **reference float path** pins each choice to one that every x86-64 machine with AVX2 and
at least two cores can take: :func:`reference_env` lists the environment variables (they must be
set before the libraries load, so ``make`` sets them for the chapters' kernels; they are not
applied from inside Python). :func:`float_path` describes the path a process is on, and
:func:`float_path_digest` identifies it by the bits of a short fixed computation (a few training
steps of a small MLP and CNN, numpy's transcendental functions and OpenBLAS's products): two
processes with the same digest computed that probe bit for bit alike. It is evidence, not proof,
that they compute a chapter alike: a kernel the probe does not reach can still differ.

``python -m infolib.numerics`` prints this process's path; ``python -m infolib.numerics env``
prints the reference variables as ``NAME=value`` words (what the Makefile uses).
"""

from __future__ import annotations

import argparse
import ctypes
import functools
import hashlib
import os
import platform
from pathlib import Path

#: Threads of every library on the reference path (torch, MKL, OpenBLAS): the CI's two cores.
REFERENCE_THREADS = 2

#: The fixed part of the reference path (:func:`reference_env` adds numpy's and the threads).
#: torch's own kernels at AVX2; MKL's "compatible" branch, the one its documentation promises
#: gives the same results on Intel and non-Intel processors (its AVX2 branch falls back to the
#: processor's own on AMD); oneDNN's convolutions at most AVX2 (oneDNN has no cross-processor
#: guarantee: the digest's convolution shows whether two machines agree); OpenBLAS's Haswell
#: kernels, which numpy's and scipy's copies take on any AVX2 processor.
_FIXED = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "MKL_CBWR": "COMPATIBLE",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "OPENBLAS_CORETYPE": "Haswell",
}
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
#: mkl_cbwr_get's answers (mkl_service.h) by name
_MKL_BRANCHES = {0: "off", 1: "off", 2: "auto", 3: "compatible", 4: "SSE2", 6: "SSSE3",
                 7: "SSE4.1", 8: "SSE4.2", 9: "AVX", 10: "AVX2", 12: "AVX-512"}


def numpy_features_above_avx2() -> list[str]:
    """numpy's dispatch targets above AVX2 (``X86_V4``, ``AVX512_*``; names differ between numpy
    versions), which the reference path disables through ``NPY_DISABLE_CPU_FEATURES``."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__
    except ImportError:  # numpy 1.x
        from numpy.core._multiarray_umath import __cpu_dispatch__

    return [name for name in __cpu_dispatch__ if name == "X86_V4" or "AVX512" in name]


def reference_env() -> dict[str, str]:
    """The environment variables of the reference float path, {name: value}."""
    threads = str(REFERENCE_THREADS)
    return {**_FIXED, "NPY_DISABLE_CPU_FEATURES": ",".join(numpy_features_above_avx2()),
            **{name: threads for name in _THREAD_VARIABLES}}


def on_reference_path(environ=None) -> bool:
    """Whether ``environ`` (default: this process's) holds every reference variable."""
    environ = os.environ if environ is None else environ
    return all(environ.get(name) == value for name, value in reference_env().items())


def mkl_branch() -> str:
    """The MKL code branch torch's matrix products take in this process ("compatible" on the
    reference path, "off" when MKL chooses freely, "auto" when a requested branch fell back to
    the processor's own), or "unknown" where torch's MKL cannot be asked."""
    import torch

    try:
        library = ctypes.CDLL(str(Path(torch.__file__).parent / "lib" / "libtorch_cpu.so"))
        get = library.mkl_serv_cbwr_get
    except (OSError, AttributeError):
        return "unknown"
    get.restype, get.argtypes = ctypes.c_int, [ctypes.c_int]
    torch.ones(2, 2) @ torch.ones(2, 2)  # MKL reads MKL_CBWR when first called
    branch = get(1)  # MKL_CBWR_BRANCH
    return _MKL_BRANCHES.get(branch, f"branch {branch}")


def float_path_digest() -> str:
    """12 hex digits of SHA-256 over the float bits of a fixed probe computed in this process, at
    its current torch thread count: 30 Adam steps of a small MLP and a small CNN (torch: MKL's
    products, oneDNN's convolutions, torch's vectorized loops, a sum of 2^20 floats split over the
    threads) and numpy's exp, log, power, pairwise sum, a 256 x 256 product and eigvalsh (numpy's
    SIMD loops, OpenBLAS). Fixed generators, so the global random states are untouched; about a
    second the first time, then remembered per thread count."""
    import torch

    return _digest(torch.get_num_threads())


@functools.cache
def _digest(threads: int) -> str:  # threads: the cache's key (the probe's sums depend on it)
    import numpy as np
    import torch
    import torch.nn.functional as F

    hash_ = hashlib.sha256()

    def add(value) -> None:
        array = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value
        hash_.update(np.ascontiguousarray(array).tobytes())

    # float32 whatever the default dtype; tensors that take gradients even inside a caller's
    # torch.no_grad() or torch.inference_mode()
    with torch.inference_mode(False), torch.enable_grad():
        generator = torch.Generator().manual_seed(0)
        float32 = dict(generator=generator, dtype=torch.float32)
        images = torch.randn(64, 1, 12, 12, **float32)
        labels = torch.randint(0, 10, (64,), generator=generator)
        mlp = [torch.randn(64, 144, **float32) * 0.1, torch.zeros(64, dtype=torch.float32),
               torch.randn(10, 64, **float32) * 0.1, torch.zeros(10, dtype=torch.float32)]
        cnn = [torch.randn(8, 1, 3, 3, **float32) * 0.3, torch.zeros(8, dtype=torch.float32),
               torch.randn(10, 8 * 5 * 5, **float32) * 0.1, torch.zeros(10, dtype=torch.float32)]

        def mlp_logits(w):
            return F.linear(F.relu(F.linear(images.flatten(1), w[0], w[1])), w[2], w[3])

        def cnn_logits(w):
            hidden = F.max_pool2d(F.relu(F.conv2d(images, w[0], w[1])), 2)
            return F.linear(hidden.flatten(1), w[2], w[3])

        for weights, logits in ((mlp, mlp_logits), (cnn, cnn_logits)):
            weights = [w.clone().requires_grad_() for w in weights]
            optimizer = torch.optim.Adam(weights, lr=1e-2)
            for _ in range(30):
                optimizer.zero_grad()
                loss = F.cross_entropy(logits(weights), labels)
                loss.backward()
                optimizer.step()
            for w in weights:
                add(w)
        add(torch.randn(2**20, **float32).exp().sum())

    rng = np.random.default_rng(0)
    a = rng.standard_normal((256, 256))
    for value in (np.exp(a), np.log1p(np.abs(a)), np.power(np.abs(a), 1.3), a.sum(axis=0),
                  np.sum(rng.standard_normal(2**20)), a @ a, np.linalg.eigvalsh(a @ a.T)):
        add(np.asarray(value))
    return hash_.hexdigest()[:12]


def float_path() -> dict:
    """This process's float path: ``digest`` (:func:`float_path_digest`), ``reference`` (every
    reference variable set, and torch and MKL took them: AVX2 loops, the compatible branch, two
    threads; not on a processor without AVX2 or with one core), torch's vector
    ``torch_capability`` and ``threads``, the MKL branch, oneDNN's and numpy's ISA limits,
    OpenBLAS's kernels and threads, and the processor."""
    import torch

    capability = torch.backends.cpu.get_cpu_capability()
    threads = torch.get_num_threads()
    branch = mkl_branch()
    pinned = (on_reference_path() and capability == "AVX2" and branch == "compatible"
              and threads == REFERENCE_THREADS)
    return {
        "digest": float_path_digest(),
        "reference": pinned,
        "torch_capability": capability,
        "threads": threads,
        "mkl_branch": branch,
        "onednn_max_isa": os.environ.get("ONEDNN_MAX_CPU_ISA", "native"),
        "numpy_disabled": os.environ.get("NPY_DISABLE_CPU_FEATURES") or "none",
        "openblas": _openblas(),
        "processor": processor_name(),
    }


def describe(path: dict) -> str:
    """One line: ``reference 1a2b3c4d5e6f (torch AVX2, MKL compatible, 2 threads)``."""
    kind = "reference" if path.get("reference") else "native"
    threads = path.get("threads")
    return (f"{kind} {path.get('digest')} (torch {path.get('torch_capability')}, MKL "
            f"{path.get('mkl_branch')}, {threads} thread{'' if threads == 1 else 's'})")


def _openblas() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown"
    found = [f"{info.get('architecture')} x{info.get('num_threads')}"
             for info in threadpool_info() if info.get("internal_api") == "openblas"]
    return ", ".join(sorted(set(found))) or "not loaded"


def processor_name() -> str:
    """The processor's model name (``/proc/cpuinfo``), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infolib.numerics", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", choices=("show", "env"), default="show",
                        help="show: this process's float path (default); env: the reference "
                             "path's variables as NAME=value words")
    args = parser.parse_args(argv)
    if args.command == "env":
        print(" ".join(f"{name}={value}" for name, value in reference_env().items()))
        return 0
    path = float_path()
    print(f"float path: {describe(path)}")
    for name, value in path.items():
        print(f"  {name}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
