"""Time usable_information on 5,000 samples x 100 features with the default decoder.

Target (issue 2): under 5 s on a 2-core CPU. Also compares ``usable_information_many`` on ten
representations against ten separate calls, the peer it replaces in the chapter, and the cost and
the estimates of a decoder batch of 256 against the default 64. ``--device cuda`` runs everything
on a GPU (where one small decoder is launch-bound and training many at once should pay most).
Prints, never asserts: run with ``make bench`` or ``python benchmarks/bench_usable.py``.
"""

import argparse
import time

import numpy as np
import torch

from infolib.usable import usable_information, usable_information_many

TARGET_S = 5.0


def best_of(repeats, run):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--no-batch-sizes", action="store_true",
                        help="skip the decoder batch comparison (64 against 256)")
    parser.add_argument("--many-only", action="store_true",
                        help="only usable_information_many against the loop (no batch sizes)")
    args = parser.parse_args()
    device = args.device
    rng = np.random.default_rng(0)
    z = rng.normal(size=(5000, 100)).astype(np.float32)
    y = (z[:, 0] + 0.5 * rng.normal(size=5000) > 0).astype(int)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device={device}")

    if not args.many_only:
        single = best_of(3, lambda: usable_information(z, y, device=device))
        print(
            f"usable_information 5000x100, default decoder: {single:.2f} s "
            f"(target {TARGET_S:.0f} s: {TARGET_S / single:.2f}x under it)"
        )

    zs, ys = [z[:, : 10 * (i + 1)] for i in range(10)], [y] * 10
    many = best_of(1, lambda: usable_information_many(zs, ys, device=device))
    loop = best_of(1, lambda: [usable_information(a, b, device=device) for a, b in zip(zs, ys)])
    print(
        f"10 decoders: usable_information_many {many:.2f} s, loop of usable_information "
        f"{loop:.2f} s, ratio {loop / many:.1f}x"
    )

    # The paper fixes no decoder batch (B.3): how much time does a larger one save, and does the
    # estimate move? Same data, same seed, ten decoders at once as the chapters use them.
    for batch_size in () if args.no_batch_sizes or args.many_only else (64, 256):
        seconds = best_of(1, lambda b=batch_size: usable_information_many(
            zs, ys, batch_size=b, device=device))
        values = usable_information_many(zs, ys, batch_size=batch_size, device=device)
        print(f"decoder batch {batch_size}: {seconds:.2f} s for 10 decoders, estimates "
              f"{values.min():.3f}-{values.max():.3f} bits (mean {values.mean():.3f})")


if __name__ == "__main__":
    main()
