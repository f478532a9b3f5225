"""pairwise_mi against a loop of scikit-learn's mutual_info_regression over the same pairs.

Target (issue 3): at least 5x faster on N = 128 neurons x S = 2,000 samples on a 2-core CPU, with
values equal to a KD-tree KSG reference within 1e-6 nats on tie-free data (tested in
tests/test_neurons.py). ``--large`` also times N = 512 x S = 10,000 (pairwise_mi only, and
scikit-learn on a sample of pairs, extrapolated). ``--device cuda`` times pairwise_mi on a GPU
(issue 17's goal for N = 512 x S = 10,000: at least 100x the scikit-learn loop, the whole matrix in
under a minute). Prints, never asserts. On an H200 (2026-11-27, torch 2.11): 77 s with one
window and then exhaustive search for the points it does not certify (8% of them on this data);
44 s once those points try a window four times wider first (0.4% left for exhaustive search).
The scikit-learn loop, extrapolated from 50 pairs on that machine's CPU, took 6,236 s in the first
run and 11,152 s in the second: ratios 142x and 254x against the 44 s. Since 2026-11-29 the
loop is timed on 200 pairs drawn at random (it was 50 pairs, all of neuron 0), the two methods'
values on those pairs are compared, and on the CPU the ratio is also given per thread (ours runs
on numba's threads, scikit-learn's call on one pair on one). On this project's 2-core CPU
(2026-11-29, this protocol, nothing else running): N = 128 x S = 2,000 in 9.0 s against the
loop's 58.0 s, 6.44x (3.22x per thread), values within 5.4e-6 nats of scikit-learn's.
"""

import argparse
import math
import time

import numba
import numpy as np
import torch
from sklearn.feature_selection import mutual_info_regression

from infolib.neurons import pairwise_mi


def sklearn_loop(acts, pairs, k=3):
    """scikit-learn's KSG estimate of each pair, in nats (it clips negative estimates at 0)."""
    return np.array([
        mutual_info_regression(acts[:, [a]], acts[:, b], n_neighbors=k, random_state=0)[0]
        for a, b in pairs
    ])


def compare(n_neurons, n_samples, sklearn_pairs=None, device="cpu", target=5):
    acts = np.random.default_rng(0).normal(size=(n_samples, n_neurons))
    pairwise_mi(acts[:50, :2], device=device)  # compile the kernel (or warm up CUDA)
    start = time.perf_counter()
    mi = pairwise_mi(acts, device=device, base=math.e)  # numpy: the device has finished
    ours = time.perf_counter() - start
    print(f"N={n_neurons} S={n_samples}: pairwise_mi on {device} {ours:.2f} s", flush=True)
    rows, cols = np.triu_indices(n_neurons, k=1)
    pairs = list(zip(rows, cols))
    if sklearn_pairs is not None:  # pairs drawn across the matrix, not the first row's
        drawn = np.random.default_rng(1).choice(len(pairs), sklearn_pairs, replace=False)
        sample = [pairs[i] for i in sorted(drawn)]
    else:
        sample = pairs
    start = time.perf_counter()
    theirs_values = sklearn_loop(acts, sample)
    theirs = (time.perf_counter() - start) * len(pairs) / len(sample)
    ours_values = np.maximum([mi[a, b] for a, b in sample], 0.0)  # clipped as scikit-learn's
    difference = float(np.abs(ours_values - theirs_values).max())
    note = "" if sklearn_pairs is None else f" (extrapolated from {len(sample)} pairs)"
    per_thread = ""
    if not str(device).startswith("cuda"):
        threads = numba.get_num_threads()
        per_thread = (f"; ours on {threads} numba thread(s), the loop on 1: "
                      f"{theirs / ours / threads:.2f}x per thread")
    print(
        f"N={n_neurons} S={n_samples}: pairwise_mi on {device} {ours:.1f} s, sklearn loop "
        f"{theirs:.1f} s{note}, ratio {theirs / ours:.2f}x (target >= {target}x){per_thread}; "
        f"largest difference of the values {difference:.1e} nats"
    )


def kth_kernels(device, pairs=8, n_samples=10_000, k=3):
    """The k-th nearest neighbour's distance in the torch path (a (pairs, S, 2w + 1) block, w =
    sqrt(k S)) by ``kthvalue`` (what pairwise_mi's torch path uses on CUDA) and by ``topk`` (on
    the CPU), same values."""
    window = 2 * math.ceil(math.sqrt(k * n_samples)) + 1
    block = torch.rand(pairs, n_samples, window, dtype=torch.float64, device=device)
    kernels = {
        "kthvalue": lambda: block.kthvalue(k + 1, dim=2).values,
        "topk": lambda: block.topk(k + 1, dim=2, largest=False).values[..., -1],
    }
    results = {}
    for name, kernel in kernels.items():
        kernel()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(5):
            results[name] = kernel()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        per_pair = (time.perf_counter() - start) / 5 / pairs
        print(f"k-th distance, S={n_samples}, window {window}, {device}: {name} "
              f"{per_pair * 1e3:.3f} ms per pair")
    assert torch.equal(results["kthvalue"], results["topk"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also N=512, S=10,000")
    parser.add_argument("--device", default="cpu", help="where pairwise_mi runs: cpu or cuda")
    parser.add_argument("--large-only", action="store_true", help="only N=512, S=10,000")
    parser.add_argument("--kernels", action="store_true",
                        help="first, the k-th distance by kthvalue against topk")
    args = parser.parse_args()
    if args.kernels:
        kth_kernels(args.device)
    if not args.large_only:
        compare(128, 2000, device=args.device)
    if args.large or args.large_only:
        compare(512, 10_000, sklearn_pairs=200, device=args.device,
                target=100 if args.device.startswith("cuda") else 5)


if __name__ == "__main__":
    main()
