"""fit_together on 8 seeds of Small FC against a loop of 8 separate fit calls.

Target (issue 17): on a 2-core CPU, training the 8 seeds together at least 3x faster than the loop,
with parameters equal up to rounding (max |difference| under 1e-4 after the run). The task is the
usable-information chapter's (notebooks/usable_information.py): the 2-color checkerboard, inputs
2 + 2 * 2 = 6, 10,000 samples of which 90% train, each seed its own data set (checkerboard seed =
run seed), Small FC (hidden 10, 7, 5, 4, 3), SGD with batch 32 and lr 0.05. The chapter trains for
100 epochs; the benchmark for ``--epochs`` (default 3: the loop takes tens of seconds; time per
epoch is constant). Prints, never asserts; the last line is ``ratio: X.X`` (loop time / together
time). Run with ``make bench`` or ``python benchmarks/bench_ensemble.py [--device cuda]``.

Measured on this project's 2-core CPU with nothing else running (3 epochs): loop 7.2 s, together
1.1 s, ratio 6.6x, parameters within 1.5e-7. On one H100 (1 epoch): loop 3.3 s, together 0.5 s,
6.6x (both launch-bound: a step of these networks is far too small to fill a GPU).
"""

import argparse
import os
import time

import torch

from infolib.data import checkerboard
from infolib.ensemble import fit_together
from infolib.models import mlp
from infolib.train import fit

TARGET_RATIO = 3.0
N_COLORS, N_SAMPLES, HIDDEN, BATCH_SIZE, LR = 2, 10_000, (10, 7, 5, 4, 3), 32, 0.05


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8, help="networks trained (default 8)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs (chapter: 100)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (both methods run there)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    seeds = list(range(args.seeds))
    n_train = int(0.9 * N_SAMPLES)
    data = [checkerboard(N_COLORS, N_SAMPLES, seed=seed) for seed in seeds]
    xs = [d.x[:n_train].to(device) for d in data]
    ys = [d.direction[:n_train].to(device) for d in data]
    n_inputs = N_COLORS + N_COLORS**2
    settings = dict(batch_size=BATCH_SIZE, lr=LR, device=device, progress=False)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s) on {os.cpu_count()} "
        f"cores (load average {load}), device={device}; {len(seeds)} seeds of Small FC "
        f"{n_inputs}-{'-'.join(map(str, HIDDEN))}-{N_COLORS}, {n_train} training samples each, "
        f"batch {BATCH_SIZE}, lr {LR}, {args.epochs} epochs (chapter: 100)"
    )

    # warm up both paths (first calls of the optimizers and kernels), on a few examples
    fit(mlp(n_inputs, HIDDEN, N_COLORS), xs[0][:64], ys[0][:64], epochs=1, **settings)
    fit_together([mlp(n_inputs, HIDDEN, N_COLORS) for _ in seeds], xs[0][:64], ys[0][:64],
                 epochs=1, seeds=seeds, **settings)

    separate = [mlp(n_inputs, HIDDEN, N_COLORS, seed=seed) for seed in seeds]
    start = time.perf_counter()
    for model, seed, x, y in zip(separate, seeds, xs, ys):
        fit(model, x, y, epochs=args.epochs, seed=seed, **settings)
    synchronize(device)
    loop_s = time.perf_counter() - start

    together = [mlp(n_inputs, HIDDEN, N_COLORS, seed=seed) for seed in seeds]
    start = time.perf_counter()
    fit_together(together, xs, ys, epochs=args.epochs, seeds=seeds, **settings)
    synchronize(device)
    together_s = time.perf_counter() - start

    difference = max(
        (p - q).abs().max().item()
        for a, b in zip(separate, together)
        for p, q in zip(a.parameters(), b.parameters())
    )
    print(f"loop of {len(seeds)} fit calls: {loop_s:.2f} s")
    print(f"fit_together on {len(seeds)} seeds: {together_s:.2f} s")
    print(f"max |parameter difference|: {difference:.1e} (target under 1e-4)")
    print(f"target: >= {TARGET_RATIO:.0f}x")
    print(f"ratio: {loop_s / together_s:.1f}")


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


if __name__ == "__main__":
    main()
