"""fisher_trace against a Python loop of per-sample backward passes, and against BackPACK.

Target: on a small CNN (Conv(1,16,3)-ReLU-MaxPool-Conv(16,32,3)-ReLU-MaxPool-Linear(800,10),
P = 12,810) and 512 Fashion-MNIST test images on a 2-core CPU, ``fisher_trace`` at least 10x
faster than the loop in both modes, with values within 1e-5 relative of it:

- expected: the loop does one forward per input and one backward per class (K = 10), weighted
  by p_w(y|x);
- sampled (mc_samples=1): the loop does one backward per input, for the label that
  ``fisher_trace`` draws (the inverse-CDF rule of ``infolib.fisher``'s docstring, seed 0).

If BackPACK is installed (``pip install -r benchmarks/requirements.txt``), its ``DiagGGNExact``
(the exact per-input generalized Gauss-Newton diagonal, which for the softmax cross-entropy is the
expected Fisher diagonal; labels do not enter it) and ``DiagGGNMC`` (a Monte-Carlo estimate with
its own label sampling: its value is shown, not compared for equality) are timed too. BackPACK
sums over the inputs with ``reduction="sum"``: its diagonal is divided by N here. Prints, never
asserts: run with ``make bench`` or ``python benchmarks/bench_fisher.py`` (``--threads 1`` on a
machine shared with other jobs: two threads that wait for each other slow down every method).

Every method is warmed up, then timed as its best of three runs; BackPACK's preparation of the
model (copy, extend) is not timed. The figures below, unless dated 2026-11-29 or later, were
measured before that (one cold run of the loop; BackPACK's preparation timed).

On this project's 2-core CPU (2026-11-29, this protocol, nothing else running): small_cnn 3.5x
in expected mode and 3.8x in sampled mode, BackPACK 1.36x and 1.27x of ours (slower);
``--network all_cnn`` 2.9x and 3.9x, BackPACK 1.67x and 2.51x; values within 9e-9 of the loop.

Measured on this project's 2-core CPU with nothing else running (chunk_size 64): 3.1x in expected
mode, 3.6x in sampled mode; BackPACK 0.8x and 1.9x of ours. On another 2-core machine
(2026-11-26): 4.1x and 3.3x, BackPACK 1.55x and 1.82x of ours; ``--network all_cnn`` (the
Fisher controls chapter's network, P = 16,698): 4.4x and 4.5x, BackPACK 2.37x and 2.41x. BackPACK
has no extension for batch-norm, so the ResNet-style network cannot be compared. The target is
not met on a CPU: the loop and the vectorized code do the same per-input arithmetic (K backward
rows of a 12,810-parameter CNN per input), and at about 0.2 ms per backward pass the loop's Python
overhead is a small part of it. ``--device cuda`` runs all three on a GPU, where the loop is
dominated by launch overhead (use a larger ``--chunk-size`` there, say 512). On an H200
(2026-11-27, torch 2.11, chunk_size 512): 328x in expected mode and 187x in sampled mode;
BackPACK 0.82x and 2.84x of ours (0.01 s against 0.02 s: too short to rank them). The expected
mode's values there were 1.5e-4 (relative) from the loop's, over the 1e-5 target, because
cuDNN's convolutions use TF32 by default: with it off, 1.5e-8. fisher_* now turn it off
(infolib.config.full_precision), and so does this benchmark for every method it times.
"""

import argparse
import copy
import importlib.util
import os
import time
import warnings

import numpy as np
import torch
from torch import nn

from infolib.config import full_precision
from infolib.fisher import fisher_trace
from infolib.models import GlobalAvgPool, all_cnn, small_cnn

N_INPUTS = 512
TARGET_RATIO = 10.0
TARGET_RELATIVE = 1e-5


def load_inputs():
    try:
        from infolib.data import fashion_mnist

        return fashion_mnist("test")[0][:N_INPUTS], "Fashion-MNIST test images"
    except FileNotFoundError as error:  # a damaged copy (DataError) raises, as in the chapters
        print(f"note: Fashion-MNIST not available ({type(error).__name__}); using random inputs "
              "(the Fisher's cost does not depend on the images' content)")
        generator = torch.Generator().manual_seed(0)
        return torch.rand(N_INPUTS, 1, 28, 28, generator=generator), "random inputs"


def best_of(repeats, run):
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = run()
        times.append(time.perf_counter() - start)
    return min(times), value


def loop_trace(model, x, mode, seed=0):
    """tr F from one ordinary backward pass per input and label, in a Python loop."""
    params = [p for p in model.parameters() if p.requires_grad]
    uniforms = np.random.default_rng(seed).random((len(x), 1))
    total = 0.0
    for i in range(len(x)):
        log_p = torch.log_softmax(model(x[i : i + 1])[0], dim=-1)
        p = log_p.detach().exp().double().cpu().numpy()
        if mode == "expected":
            labels = [(k, p[k]) for k in range(len(p))]
        else:
            label = min(int((np.cumsum(p) <= uniforms[i, 0]).sum()), len(p) - 1)
            labels = [(label, 1.0)]
        for label, weight in labels:
            grads = torch.autograd.grad(log_p[label], params, retain_graph=True)
            total += weight * sum(float(g.double().square().sum()) for g in grads)
    return total / len(x)


def backpack_trace(model, x, extension_name):
    """A function of no arguments: tr F from BackPACK's diagonal extension ``extension_name``, one
    batched forward and backward pass. The model is copied and extended here, once, so that a
    timing of the function holds the computation only, as ours does."""
    from backpack import backpack, extend, extensions

    model = copy.deepcopy(model)
    for name, child in model.named_children():  # BackPACK knows nn.AdaptiveAvgPool2d only
        if isinstance(child, GlobalAvgPool):
            setattr(model, name, nn.AdaptiveAvgPool2d(1))  # the same numbers
    model = extend(model)
    loss_fn = extend(nn.CrossEntropyLoss(reduction="sum"))
    # DiagGGNExact ignores the labels; DiagGGNMC draws its own. Any valid labels will do.
    labels = torch.zeros(len(x), dtype=torch.long, device=x.device)
    extension = getattr(extensions, extension_name)()
    attribute = "diag_ggn_exact" if extension_name == "DiagGGNExact" else "diag_ggn_mc"

    def trace():
        loss = loss_fn(model(x), labels)
        with backpack(extension), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Full backward hook")  # x needs no gradient
            loss.backward()
        total = sum(float(getattr(p, attribute).double().sum()) for p in model.parameters())
        return total / len(x)

    return trace


def compare(model, x, mode, chunk_size, extension_name, expected=None):
    """Print our time and value against the loop's (and BackPACK's); return our value. Every
    method returns a Python float, so each timing ends after the device has finished."""
    options = {"mode": mode, "chunk_size": chunk_size, "device": x.device, "progress": False}
    fisher_trace(model, x[:8], **options)  # every method warmed up, then its best of three
    loop_trace(model, x[:8], mode)
    ours_s, ours = best_of(3, lambda: fisher_trace(model, x, **options))
    loop_s, loop = best_of(3, lambda: loop_trace(model, x, mode))
    print(
        f"{mode}: fisher_trace {ours:.6g} in {ours_s:.2f} s; per-sample loop {loop:.6g} in "
        f"{loop_s:.2f} s; loop / ours {loop_s / ours_s:.1f}x (target >= {TARGET_RATIO:.0f}x); "
        f"relative difference {abs(ours - loop) / abs(loop):.1e} (target <= {TARGET_RELATIVE:.0e})"
    )
    if extension_name is None:
        return ours
    backpack_once = backpack_trace(model, x, extension_name)
    backpack_once()
    theirs_s, theirs = best_of(3, backpack_once)
    if expected is None:
        comparison = f"relative difference {abs(ours - theirs) / abs(ours):.1e}"
    else:
        comparison = (
            f"its own Monte-Carlo labels: {abs(ours - theirs) / abs(ours):.1%} from our sampled "
            f"value, {abs(expected - theirs) / abs(expected):.1%} from our expected value"
        )
    print(
        f"{mode}: BackPACK {extension_name} {theirs:.6g} in {theirs_s:.2f} s; "
        f"BackPACK / ours {theirs_s / ours_s:.2f}x; {comparison}"
    )
    return ours


NETWORKS = {"small_cnn": small_cnn, "all_cnn": all_cnn}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    parser.add_argument("--chunk-size", type=int, default=64, help="fisher_trace's chunk_size")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (all methods run there)")
    parser.add_argument("--network", choices=sorted(NETWORKS), default="small_cnn",
                        help="small_cnn (the target's) or all_cnn (the Fisher controls chapter's)")
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    x, source = load_inputs()
    device = torch.device(args.device)
    x, model = x.to(device), NETWORKS[args.network](seed=0).eval().to(device)
    n_params = sum(p.numel() for p in model.parameters())
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s) on {os.cpu_count()} "
        f"cores (load average {load}), device={device}; {args.network} with P = {n_params} on "
        f"{len(x)} "
        f"{source}; chunk_size={args.chunk_size}"
    )
    # installed but failing to import (a dependency missing) is an error, not "not installed"
    have_backpack = importlib.util.find_spec("backpack") is not None
    if have_backpack:
        import backpack  # noqa: F401
    else:
        print("BackPACK is not installed (pip install -r benchmarks/requirements.txt): skipped")
    exact, monte_carlo = ("DiagGGNExact", "DiagGGNMC") if have_backpack else (None, None)
    with full_precision():  # as fisher_* compute: every method without TF32 on CUDA
        expected = compare(model, x, "expected", args.chunk_size, exact)
        compare(model, x, "sampled", args.chunk_size, monte_carlo, expected=expected)


if __name__ == "__main__":
    main()
