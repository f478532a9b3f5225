"""Time one unit of model_information's Fig. 3 with the chapter's small CNN and with the paper's
kind of network, before a `gpu` profile switches to one (issue 15 item 6: the paper codes with a
ResNet-56 on MNIST; the chapter, with `small_cnn` on Fashion-MNIST).

One unit as the chapter runs it: M_D trained with early stopping on `--train` images, then the k
= `--k` next images coded from the initialization and from M_D (`infolib.coding.model_information`
with the chapter's step floor and first block of 10). Networks: `small_cnn` (12,810 parameters),
its four times wider twin, and `cifar_resnet(20)` and `cifar_resnet(56)` (ResNet-20 and
ResNet-56 of He et al.'s CIFAR family: 3 or 9 basic blocks per stage of 16, 32, 64 channels).
Prints seconds per unit and the ratio to the small CNN, and L(M_D, D) as a sanity check. The
defaults take about 2 minutes on 2 CPU cores (`make bench`: there the ResNet-56 unit took 21x the
small CNN's); the `gpu` profile's sizes: `--train 40000 --k 10000 --max-epochs 50 --device
cuda`. Prints, never asserts.

On an H200 at the `gpu` sizes (2026-11-28, torch 2.11, each network alone): small CNN 42.0 s
(L = 3,478 bits, test accuracy 0.899), ResNet-20 77.3 s (1.8x; 6,938 bits, 0.918), ResNet-56
211.9 s (5.0x; 8,058 bits, 0.913). The `gpu` profile codes with ResNet-56, the paper's network.
"""

import argparse
import copy
import time

import torch

from infolib.coding import model_information, step_floor_training
from infolib.data import fashion_mnist
from infolib.models import cifar_resnet, small_cnn
from infolib.train import BlockTraining, accuracy, fit_early_stopping

NETWORKS = {
    "small CNN": lambda seed: small_cnn(seed=seed),
    "wide CNN": lambda seed: small_cnn(widths=(64, 128), seed=seed),
    "ResNet-20": lambda seed: cifar_resnet(20, seed=seed),
    "ResNet-56": lambda seed: cifar_resnet(56, seed=seed),
}
MIN_FIRST_BLOCK = 10  # the chapter's


def one_unit(make, x, y, n_train, k, max_epochs, device, seed=0):
    """(seconds, L(M_D, D) in bits, test accuracy of M_D) for one unit of the chapter's protocol."""
    start = time.perf_counter()
    init = make(seed)
    trained = copy.deepcopy(init)
    fit_early_stopping(trained, x[:n_train], y[:n_train], train=BlockTraining(
        max_epochs=max_epochs), seed=seed, device=device)
    code = slice(n_train, n_train + k)
    information = model_information(
        init, trained, x[code], y[code], min_first_block=MIN_FIRST_BLOCK, seed=seed,
        train=step_floor_training(k, min_first_block=MIN_FIRST_BLOCK, max_epochs=max_epochs),
        device=device, progress=False)
    if device != "cpu":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    test = slice(n_train + k, n_train + k + 2_000)
    return seconds, float(information), accuracy(trained.cpu(), x[test], y[test])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=1_000, help="training images of M_D")
    parser.add_argument("--k", type=int, default=500, help="coded images")
    parser.add_argument("--max-epochs", type=int, default=3)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--networks", nargs="+", default=list(NETWORKS), choices=list(NETWORKS))
    args = parser.parse_args()
    if args.train + args.k + 2_000 > 60_000:
        raise SystemExit("--train + --k + 2,000 test images must fit in 60,000")
    x, y = fashion_mnist("train")
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    x, y = x[order], y[order]
    print(f"one unit: N = {args.train:,}, k = {args.k:,}, at most {args.max_epochs} epochs, "
          f"{args.device}")
    # warm-up, untimed: the first network (the unit of every "x the first") would carry torch's
    # first-call costs, and on CUDA the start of its context
    one_unit(NETWORKS[args.networks[0]], x, y, 200, 100, 1, args.device)
    base = None
    for name in args.networks:
        parameters = sum(p.numel() for p in NETWORKS[name](0).parameters())
        seconds, bits, test_accuracy = one_unit(NETWORKS[name], x, y, args.train, args.k,
                                                args.max_epochs, args.device)
        base = seconds if base is None else base
        print(f"{name:10s} {parameters:>9,} parameters: {seconds:8.1f} s "
              f"({seconds / base:5.1f}x the first), L(M_D, D) = {bits:7.0f} bits, "
              f"test accuracy {test_accuracy:.3f}", flush=True)


if __name__ == "__main__":
    main()
