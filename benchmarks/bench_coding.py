"""How the time of prequential_codelength grows with k, on a small CNN and Fashion-MNIST.

Target: linear growth in k, so that the paper's k = 10,000 fits the ``cpu`` profile of the model
information chapter: each doubling of k at most about doubles the time (ratio of successive times
<= 2.2), and k = 10,000 codes in under 5 minutes on a 2-core CPU. Setting: a CNN
Conv(1,16,3)-ReLU-MaxPool-Conv(16,32,3)-ReLU-MaxPool-Flatten-Linear(800,10), randomly initialized
(seed 0), coding the labels of the first k Fashion-MNIST test images with the default fractions
and ``BlockTraining()`` (Adam, lr 1e-3, batch 64, at most 30 epochs, early stopping with
patience 3 on the last 10 % of the earlier examples), on the CPU. One epoch of all blocks is
1.0005 k example passes, so the time is linear in k times the number of epochs before early
stopping, which may change with k. Also prints the total bits and the bits per example (log2 10
= 3.32 for the uniform code). Prints, never asserts: run with ``make bench`` or
``python benchmarks/bench_coding.py [--sizes 2500 5000] [--threads 1]``.

Measured on this project's 2-core CPU, 2 threads, nothing else running: 5.6, 10.3 and 15.5 s
for k = 2,500, 5,000 and 10,000 (time ratios 1.85 and 1.50 per doubling: early stopping ends
the last blocks after about 15-20 epochs at every k), 1.08, 0.94 and 0.81 bits per example.
Target met.
"""

import argparse
import math
import os
import time

import torch

from infolib.coding import prequential_codelength
from infolib.models import small_cnn
from infolib.train import BlockTraining

SIZES = (2500, 5000, 10000)
TARGET_RATIO = 2.2
TARGET_S = 300.0


def load(n):
    """The first ``n`` Fashion-MNIST test examples. No stand-in: on random labels early stopping
    ends after a few epochs, a different workload whose times would meet the target by default;
    a damaged copy raises (``infolib.data.DataError``), as in the chapters."""
    from infolib.data import fashion_mnist

    try:
        x, y = fashion_mnist("test")
    except FileNotFoundError as error:
        raise SystemExit(f"{error}\nThis benchmark needs Fashion-MNIST: run `make data` first") \
            from error
    return x[:n], y[:n], "Fashion-MNIST test examples"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES, help="the values of k")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    load_average = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s) on {os.cpu_count()} "
        f"cores (load average {load_average}), device=cpu; target: ratio <= {TARGET_RATIO} per "
        f"doubling of k, k = 10,000 in < {TARGET_S:.0f} s"
    )
    x, y, _ = load(200)  # warm-up, untimed: the first size would carry torch's first-call costs
    prequential_codelength(small_cnn(seed=0), x, y, train=BlockTraining(max_epochs=1),
                           device="cpu", progress=False)
    previous = None
    for k in sorted(args.sizes):
        x, y, source = load(k)
        start = time.perf_counter()
        code = prequential_codelength(small_cnn(seed=0), x, y, device="cpu", progress=False)
        seconds = time.perf_counter() - start
        scaling = ""
        if previous is not None:
            previous_k, previous_s = previous
            scaling = (
                f"; time ratio to k = {previous_k}: {seconds / previous_s:.2f} "
                f"(k ratio {k / previous_k:.2f})"
            )
        print(
            f"k = {k} {source}: {seconds:.1f} s, {code.total:.0f} bits, "
            f"{code.total / k:.3f} bits per example (uniform {math.log2(10):.3f}){scaling}"
        )
        previous = (k, seconds)


if __name__ == "__main__":
    main()
