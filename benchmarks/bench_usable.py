"""Time usable_information on 5,000 samples x 100 features with the default decoder.

Target (issue 2): under 5 s on a 2-core CPU. Also compares ``usable_information_many`` on ten
representations against ten separate calls, the peer it replaces in the chapter, and the cost and
the estimates of a decoder batch of 256 against the default 64. ``--device cuda`` runs everything
on a GPU (where one small decoder is launch-bound and training many at once should pay most).
Every method is warmed up first; the batched call and the loop are each the best of two runs,
and their estimates are compared. Prints, never asserts: run with ``make bench`` or
``python benchmarks/bench_usable.py``.
"""

import argparse
import time

import numpy as np
import torch

from infolib.usable import usable_information, usable_information_many

TARGET_S = 5.0


def best_of(repeats, run):
    """(the fastest of ``repeats`` timed calls of ``run``, in seconds; the last call's value)."""
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = run()
        times.append(time.perf_counter() - start)
    return min(times), value


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
    # warm-up, untimed: torch's first calls (and CUDA's start) are not part of either method
    usable_information_many([z[:200, :10]] * 2, [y[:200]] * 2, epochs=1, device=device)

    if not args.many_only:
        single, _ = best_of(3, lambda: usable_information(z, y, device=device))
        verdict = "under" if single <= TARGET_S else "over"
        print(
            f"usable_information 5000x100, default decoder: {single:.2f} s "
            f"(target {TARGET_S:.0f} s: {verdict} it, {TARGET_S / single:.2f}x)"
        )

    zs, ys = [z[:, : 10 * (i + 1)] for i in range(10)], [y] * 10
    many, batched = best_of(2, lambda: usable_information_many(zs, ys, device=device))
    loop, single_values = best_of(
        2, lambda: [usable_information(a, b, device=device) for a, b in zip(zs, ys)])
    difference = float(np.abs(np.asarray(batched) - np.asarray(single_values)).max())
    print(
        f"10 decoders: usable_information_many {many:.2f} s, loop of usable_information "
        f"{loop:.2f} s, ratio {loop / many:.1f}x; largest difference of the estimates "
        f"{difference:.1e} bits (the two are not bit for bit alike: infolib.usable)"
    )

    # The paper fixes no decoder batch (B.3): how much time does a larger one save, and does the
    # estimate move? Same data, same seed, ten decoders at once as the chapters use them.
    for batch_size in () if args.no_batch_sizes or args.many_only else (64, 256):
        seconds, values = best_of(1, lambda b=batch_size: usable_information_many(
            zs, ys, batch_size=b, device=device))
        print(f"decoder batch {batch_size}: {seconds:.2f} s for 10 decoders, estimates "
              f"{values.min():.3f}-{values.max():.3f} bits (mean {values.mean():.3f})")


if __name__ == "__main__":
    main()
