"""Do the toy's Langevin escape times have the same distribution on CUDA as on the CPU?

On an H200 (2026-11-27), tests/test_cuda.py's check passed (two-sample KS on 4,000 runs, p =
0.0049 against its threshold 1e-3), but both runs there put CUDA's median escape time 7-10% above
the CPU's (CPU 260, CUDA 287 steps; an earlier 400-run check: 225 against 284). This script
settles it with more runs and seeds: for each seed, ``--runs`` escapes from the sharp basin of a
mean-zero dataset (the test's setting: lr 0.002, temperature 0.6) on the CPU and on CUDA; it
prints each seed's medians, then the KS test of all CPU runs against all CUDA runs, and, as the
control the verdict needs, the same test between the CPU's even and odd seeds, and the CPU's even
seeds against CUDA's odd ones (the control's size: compare the KS statistics, not only the p-values,
of tests of different sizes). A device difference shows as a CPU-CUDA statistic larger than the
control's. Without a GPU it
runs the control alone. Prints, never asserts.
Run: ``python benchmarks/check_escape_devices.py [--seeds 10 --runs 4000]`` (about 1.5 s per
seed and device on a 2-core CPU).

Result on an H200 (2026-11-27, the defaults): medians over all runs CPU 268, CUDA 274; CPU against
CUDA KS p = 0.19; the control (CPU even seeds against odd) p = 0.0068. No device difference: the
seeds' own spread (per-seed CPU medians 260-282) is larger.
"""

import argparse

import numpy as np
import torch
from scipy.stats import ks_2samp

from infolib import fisher_toy as toy


def escapes(n_runs, seed, device):
    data = np.random.default_rng(0).normal(0, 1, 100)
    data -= data.mean()
    sharp = np.full(n_runs, toy.minimum_near(1e-9, 0.0))
    return toy.escape_steps(sharp, data, lr=0.002, temperature=0.6, max_steps=50_000, seed=seed,
                            device=device)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds per device (default 10)")
    parser.add_argument("--runs", type=int, default=4_000, help="escapes per seed (default 4,000)")
    args = parser.parse_args()
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    steps = {device: [] for device in devices}
    for seed in range(args.seeds):
        for device in devices:
            steps[device].append(escapes(args.runs, seed, device))
        print(f"seed {seed}: median " + ", ".join(
            f"{device} {np.median(steps[device][-1]):.0f}" for device in devices))
    cpu = steps["cpu"]
    control = ks_2samp(np.concatenate(cpu[0::2]), np.concatenate(cpu[1::2]))
    print(f"control, CPU even seeds against odd seeds: KS {control.statistic:.4f}, "
          f"p {control.pvalue:.3g}")
    if "cuda" not in steps:
        print("no CUDA device: control only")
        return
    pooled = {device: np.concatenate(runs) for device, runs in steps.items()}
    test = ks_2samp(pooled["cpu"], pooled["cuda"])
    print(f"medians over all runs: cpu {np.median(pooled['cpu']):.0f}, "
          f"cuda {np.median(pooled['cuda']):.0f}")
    print(f"CPU against CUDA: KS {test.statistic:.4f}, p {test.pvalue:.3g}")
    # the control's size: half the seeds of each device, so that the two KS statistics compare
    # (p-values of tests of different sizes do not rank the effects; ties make KS conservative)
    halves = ks_2samp(np.concatenate(cpu[0::2]), np.concatenate(steps["cuda"][1::2]))
    print(f"CPU even seeds against CUDA odd seeds (the control's size): KS "
          f"{halves.statistic:.4f}, p {halves.pvalue:.3g}")


if __name__ == "__main__":
    main()
