"""Usable information (Kleinman, Achille, Idnani & Kao, ICLR 2021, eq. 1).

    I_u(Z; Y) = H(Y) - L_CE,

where L_CE is the test-set cross-entropy of a decoder q(y|z) trained to predict Y from Z, and H(Y)
is the entropy of the test labels' empirical distribution. Both in bits by default (``base=2``).
A decoder that learns nothing scores about 0; one that predicts Y perfectly scores about H(Y).
Because the decoder is evaluated on held-out samples, the estimate can be slightly negative.

The decoder follows appendix B.3 of the paper: hidden layers of 128, 64 and 32 units, each
``Linear -> batch-norm -> Leaky-ReLU(0.2) -> dropout(p=0.7)``, then a linear read-out; trained with
SGD on one split (a quarter of the samples by default, the paper's 1,250 of 5,000) and evaluated on
the rest. ``dropout`` is the probability of dropping a unit (PyTorch's convention; the paper gives
"p = 0.7" without saying which). A fifth of the training split is held out to stop each decoder at
its best epoch (the paper does not say it stops early: without it an uninformative 100-dimensional
``z`` overfits to about -3 bits; ``early_stopping=False`` gives the paper's literal protocol).
``optimizer="adam"`` with ``weight_decay`` gives the decoder of the paper's appendix C.2. Inputs
are standardized with the training split's mean and standard deviation (an affine map the first
layer could learn anyway; it only makes the optimization insensitive to the scale of a layer's
activations).

Many decoders (one per layer and label, say) are trained at once as one batched network
(``torch.baddbmm`` over a leading "decoder" dimension). They share the split and the mini-batch
order; their weights, batch statistics, losses and early stopping are separate, so each is an
independent estimate, though not bit-for-bit the one a separate call gives (the random
initialization and dropout masks are drawn for all decoders together). On a 2-core CPU ten decoders
cost about four times one (benchmarks/bench_usable.py). Every random draw (split, order,
initialization, dropout masks) comes from seeded CPU generators, so a CUDA run trains the same
decoders as a CPU run: on an H100 the estimates agreed within 1.2e-7 bits (tests/test_cuda.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from infolib.checks import (
    boolean,
    integer,
    log_base,
    matrix,
    one_of,
    random_seed,
    real,
    same_length,
)
from infolib.checks import labels as check_labels
from infolib.config import resolve_device
from infolib.models import check_widths

MIN_SAMPLES = 20
VALIDATION_FRACTION = 0.2  # of the training split, held out to pick each decoder's best epoch


def usable_information(
    z,
    y,
    *,
    hidden: Sequence[int] = (128, 64, 32),
    epochs: int = 100,
    lr: float = 0.05,
    batch_size: int = 64,
    dropout: float = 0.7,
    momentum: float = 0.9,
    optimizer: str = "sgd",
    weight_decay: float = 0.0,
    early_stopping: bool = True,
    test_fraction: float = 0.75,
    seed: int = 0,
    device: str | torch.device = "auto",
    base: float = 2,
) -> float:
    """Usable information I_u(Z;Y) = H(Y) - L_CE in units of log ``base`` (bits by default).

    ``z``: representation, array or tensor (samples, features) (a 1-D array is one feature).
    ``y``: integer labels (samples,), at least two classes. The decoder is trained for ``epochs``
    passes over the training split with SGD (``lr``, ``momentum``, ``batch_size``; the paper's
    B.3) or, with ``optimizer="adam"``, Adam (``lr``; the paper's C.2 decoder: ``hidden=(200,
    100)``, ``lr=0.01``, ``weight_decay=1e-3``, 50 epochs, ``test_fraction=0.25``), L2 weight decay
    ``weight_decay`` (added to the gradient, as torch's optimizers do) and dropout probability
    ``dropout``. ``early_stopping=True`` holds out a fifth of the training split and keeps each
    decoder's epoch of lowest held-out cross-entropy; ``False`` trains on the whole training split
    and keeps the last epoch (the paper's text). Cost: ``epochs * (1 - test_fraction) * samples /
    batch_size`` optimizer steps of the decoder. Returned raw: it can be slightly negative for an
    uninformative ``z``.

    Batch-norm needs two examples per batch: with hidden layers, ``batch_size`` must be >= 2 and
    an epoch's last batch of a single example is dropped (another one each epoch, as the order is
    reshuffled). ``hidden=()`` (a linear decoder, no batch-norm) trains with any ``batch_size``.
    A training loss that becomes NaN or infinite raises ``ValueError`` (lower ``lr``) rather than
    falling back on the untrained decoder.
    """
    return float(
        usable_information_many(
            [z],
            [y],
            hidden=hidden,
            epochs=epochs,
            lr=lr,
            batch_size=batch_size,
            dropout=dropout,
            momentum=momentum,
            optimizer=optimizer,
            weight_decay=weight_decay,
            early_stopping=early_stopping,
            test_fraction=test_fraction,
            seed=seed,
            device=device,
            base=base,
        )[0]
    )


def usable_information_many(
    zs: Sequence,
    ys: Sequence,
    *,
    hidden: Sequence[int] = (128, 64, 32),
    epochs: int = 100,
    lr: float = 0.05,
    batch_size: int = 64,
    dropout: float = 0.7,
    momentum: float = 0.9,
    optimizer: str = "sgd",
    weight_decay: float = 0.0,
    early_stopping: bool = True,
    test_fraction: float = 0.75,
    seed: int = 0,
    device: str | torch.device = "auto",
    base: float = 2,
    fresh: Callable[[int], tuple[Sequence, Sequence]] | None = None,
) -> np.ndarray:
    """``usable_information(zs[i], ys[i])`` for every i, with all decoders trained at once.

    All representations must have the same number of samples (rows are the same inputs); their
    widths and the labels' numbers of classes may differ. Returns a float array (len(zs),).

    ``fresh``: None, or a callable ``fresh(epoch) -> (zs_train, ys_train)`` (epoch = 1, 2, ...)
    that draws new training samples for every decoder epoch, as the paper's appendix B.3 literally
    says ("at each epoch, 1250 training samples were generated"); then ``zs``, ``ys`` are the test
    samples only, all of them scored (``test_fraction`` is not used), the inputs are standardized
    with the first draw's statistics, and ``early_stopping`` must be False (there is no fixed
    training set to hold a part of out from). Each draw must match ``zs`` in count and widths.
    """
    same_length("zs", zs, "ys", ys)
    if len(zs) == 0:
        raise ValueError("zs is empty: give at least one representation")
    zs = [_as_features(z, f"zs[{i}]") for i, z in enumerate(zs)]
    labels = [_as_labels(y, f"ys[{i}]", len(z)) for i, (y, z) in enumerate(zip(ys, zs))]
    n_samples = len(zs[0])
    if any(len(z) != n_samples for z in zs):
        raise ValueError(f"all zs must have the same number of samples, got {[len(z) for z in zs]}")
    hidden = check_widths("hidden", hidden, allow_empty=True)
    epochs = integer("epochs", epochs, minimum=1)
    batch_size = integer("batch_size", batch_size, minimum=1)
    if hidden and batch_size < 2:
        raise ValueError(
            "batch_size must be >= 2: the decoder's batch-norm layers need two examples per batch "
            "(hidden=() gives a linear decoder without them), got 1"
        )
    lr = real("lr", lr, above=0)
    momentum = real("momentum", momentum, minimum=0, below=1)
    one_of("optimizer", optimizer, ("sgd", "adam"))
    weight_decay = real("weight_decay", weight_decay, minimum=0)
    early_stopping = boolean("early_stopping", early_stopping)
    dropout = real("dropout", dropout, minimum=0, below=1)
    test_fraction = real("test_fraction", test_fraction, above=0, below=1)
    seed = random_seed("seed", seed)
    base = log_base(base)
    device = resolve_device(device)
    generator = torch.Generator().manual_seed(seed)
    if fresh is None:
        n_test = int(round(test_fraction * n_samples))
        n_fit = n_samples - n_test - (_n_validation(n_samples - n_test) if early_stopping else 0)
        if n_samples < MIN_SAMPLES or n_test < 2 or n_fit < 2:
            raise ValueError(
                f"too few samples for a train/test split: got {n_samples} samples with "
                f"test_fraction={test_fraction}, early_stopping={early_stopping}; need at least "
                f"{MIN_SAMPLES}, two to test on and two to train on (besides the validation part)"
            )
        order = torch.randperm(n_samples, generator=generator)
        test, train = order[:n_test], order[n_test:]
    else:
        if not callable(fresh):
            raise TypeError(f"fresh must be None or a callable fresh(epoch), got {fresh!r}")
        if early_stopping:
            raise ValueError("fresh samples for every epoch need early_stopping=False: there is "
                             "no fixed training set to hold a validation part out from")
        test = torch.arange(n_samples)

    n_classes = [int(y.max()) + 1 for y in labels]
    if fresh is not None:  # fresh labels are read as class indices: the test labels must be too
        for i, (raw, k) in enumerate(zip(ys, n_classes)):
            if not torch.equal(torch.unique(check_labels(f"ys[{i}]", raw, n_samples).cpu()),
                               torch.arange(k)):
                raise ValueError(f"with fresh, ys[{i}] must hold every class index 0..{k - 1} "
                                 "(the fresh draws' labels are read as class indices)")
    y = torch.stack(labels).to(device)  # (D, samples)
    if fresh is None:
        stats = _statistics(zs, train)
        x = _stack_standardized(zs, stats).to(device)  # (D, samples, max width)
    else:
        first = _fresh_draw(fresh, 1, zs, n_classes)
        stats = _statistics(first[0], torch.arange(len(first[0][0])))
        x = _stack_standardized(zs, stats).to(device)  # the test samples
    decoders = _Decoders([z.shape[1] for z in zs], hidden, n_classes, generator, device)

    if early_stopping:
        n_val = _n_validation(len(train))
        val, train = train[:n_val].to(device), train[n_val:]
    x_fit, y_fit = x, y
    if optimizer == "sgd":
        opt = torch.optim.SGD(decoders.parameters(), lr=lr, momentum=momentum,
                              weight_decay=weight_decay)
    else:
        opt = torch.optim.Adam(decoders.parameters(), lr=lr, weight_decay=weight_decay)
    dropout_generator = torch.Generator().manual_seed(seed + 1)  # on the CPU: CUDA gets its masks
    best_state, best_ce = decoders.state(), torch.full((len(zs),), float("inf"), device=device)
    for epoch in range(1, epochs + 1):
        if fresh is None:
            perm = train[torch.randperm(len(train), generator=generator)].to(device)
        else:
            zs_fit, ys_fit = first if epoch == 1 else _fresh_draw(fresh, epoch, zs, n_classes)
            x_fit = _stack_standardized(zs_fit, stats).to(device)
            y_fit = torch.stack(ys_fit).to(device)
            perm = torch.randperm(x_fit.shape[1], generator=generator).to(device)
        epoch_loss = torch.zeros((), device=device)
        for start in range(0, len(perm), batch_size):
            batch = perm[start : start + batch_size]
            if hidden and len(batch) < 2:  # batch-norm needs two samples
                continue
            logits = decoders(x_fit[:, batch], dropout=dropout, generator=dropout_generator)
            loss = _cross_entropy(logits, y_fit[:, batch]).sum()  # sum of independent losses
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            epoch_loss += loss.detach()
        if not torch.isfinite(epoch_loss):  # one check (and device sync) per epoch
            raise _diverged(f"the training loss became {float(epoch_loss)} in epoch {epoch}",
                            lr, epochs, batch_size)
        if early_stopping:
            with torch.no_grad():  # per decoder, on the validation part
                val_ce = _cross_entropy(decoders(x[:, val]), y[:, val])
                improved = val_ce < best_ce
                best_ce = torch.where(improved, val_ce, best_ce)
                best_state = decoders.select(improved, decoders.state(), best_state)
    if early_stopping:
        if not torch.isfinite(best_ce).all():
            raise _diverged("the validation loss was never finite", lr, epochs, batch_size)
        decoders.load(best_state)

    with torch.no_grad():
        test = test.to(device)
        test_ce = _cross_entropy(decoders(x[:, test]), y[:, test])  # nats, (D,)
    entropy = torch.stack([_plugin_entropy(y_d[test], k) for y_d, k in zip(y, n_classes)])
    return ((entropy - test_ce) / math.log(base)).cpu().numpy().astype(float)


def _diverged(what: str, lr: float, epochs: int, batch_size: int) -> ValueError:
    return ValueError(
        f"{what}: the decoder's training diverged, so there is no trained decoder to score; "
        f"try a smaller lr (got lr={lr}), or change epochs (got {epochs}) or batch_size "
        f"(got {batch_size})"
    )


class _Decoders:
    """D independent MLP decoders run as one batched network; weights are (D, fan_in, fan_out)."""

    def __init__(self, widths, hidden, n_classes, generator, device, slope=0.2, bn_momentum=0.1):
        n, d_max, k_max = len(widths), max(widths), max(n_classes)
        self.slope, self.bn_momentum, self.eps = slope, bn_momentum, 1e-5
        self.layers = []  # (weight, bias, gamma, beta, running_mean, running_var)
        fan_ins = torch.tensor(widths, dtype=torch.float32)
        d_in = d_max
        for width in (*hidden, None):
            d_out = k_max if width is None else width
            bound = (1 / fan_ins.sqrt()).view(n, 1, 1)  # PyTorch's default Linear init
            weight = (torch.rand(n, d_in, d_out, generator=generator) * 2 - 1) * bound
            bias = (torch.rand(n, 1, d_out, generator=generator) * 2 - 1) * bound
            if not self.layers:  # zero the padding of narrower inputs
                rows = torch.arange(d_max).view(1, d_max, 1)
                weight = weight * (rows < fan_ins.view(n, 1, 1))
            layer = [weight, bias]
            if width is not None:
                layer += [torch.ones(n, 1, d_out), torch.zeros(n, 1, d_out)]
                layer += [torch.zeros(n, 1, d_out), torch.ones(n, 1, d_out)]
            self.layers.append([t.to(device) for t in layer])
            fan_ins = torch.full((n,), float(d_out))
            d_in = d_out
        for layer in self.layers:
            for t in layer[:4]:
                t.requires_grad_(True)
        classes = torch.arange(k_max).view(1, 1, k_max)
        self.absent = (classes >= torch.tensor(n_classes).view(n, 1, 1)).to(device)

    def parameters(self):
        return [t for layer in self.layers for t in layer[:4]]

    def state(self):
        """A detached copy of every tensor (parameters and batch-norm statistics)."""
        return [t.detach().clone() for layer in self.layers for t in layer]

    @staticmethod
    def select(mask, new, old):
        """Per decoder: ``new`` where ``mask`` (D,) is true, else ``old``."""
        return [torch.where(mask.view(-1, 1, 1), a, b) for a, b in zip(new, old)]

    def load(self, state):
        with torch.no_grad():
            for t, value in zip((t for layer in self.layers for t in layer), state):
                t.copy_(value)

    def __call__(self, x, dropout=0.0, generator=None):
        """Logits (D, batch, classes); training mode when ``generator`` is given."""
        training = generator is not None
        h = x
        for weight, bias, *norm in self.layers[:-1]:
            gamma, beta, running_mean, running_var = norm
            h = torch.baddbmm(bias, h, weight)
            if training:
                mean, var = h.mean(1, keepdim=True), h.var(1, unbiased=False, keepdim=True)
                with torch.no_grad():
                    unbiased = var * h.shape[1] / (h.shape[1] - 1)
                    running_mean.lerp_(mean, self.bn_momentum)
                    running_var.lerp_(unbiased, self.bn_momentum)
            else:
                mean, var = running_mean, running_var
            h = (h - mean) * torch.rsqrt(var + self.eps) * gamma + beta
            h = F.leaky_relu(h, self.slope)
            if training and dropout > 0:
                keep = (torch.rand(h.shape, generator=generator) >= dropout).to(h.device)
                h = h * keep / (1 - dropout)
        weight, bias = self.layers[-1]
        logits = torch.baddbmm(bias, h, weight)
        return logits.masked_fill(self.absent, float("-inf"))


def _cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy in nats of each decoder: logits (D, B, K), y (D, B) -> (D,)."""
    n, batch, k = logits.shape
    losses = F.cross_entropy(logits.reshape(n * batch, k), y.reshape(-1), reduction="none")
    return losses.view(n, batch).mean(1)


def _plugin_entropy(y: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Entropy in nats of the empirical distribution of integer labels."""
    p = torch.bincount(y, minlength=n_classes).double() / len(y)
    p = p[p > 0]
    return -(p * p.log()).sum().to(torch.float32)


def _n_validation(n_train: int) -> int:
    """The size of the validation part held out of ``n_train`` training samples."""
    return max(2, int(round(VALIDATION_FRACTION * n_train)))


def _statistics(zs: list[torch.Tensor], rows: torch.Tensor) -> list[tuple[torch.Tensor, ...]]:
    """Each representation's mean and standard deviation (1 where it is 0) over ``rows``."""
    stats = []
    for z in zs:
        mean, std = z[rows].mean(0), z[rows].std(0)
        stats.append((mean, torch.where(std > 0, std, torch.ones_like(std))))
    return stats


def _stack_standardized(zs: list[torch.Tensor], stats: list) -> torch.Tensor:
    """Standardize each representation with its ``stats`` (training split; float64), cast to
    float32 and zero-pad to one width: (D, samples, max width)."""
    d_max = max(z.shape[1] for z in zs)
    out = torch.zeros(len(zs), len(zs[0]), d_max, dtype=torch.float32)
    for i, (z, (mean, std)) in enumerate(zip(zs, stats)):
        out[i, :, : z.shape[1]] = (z - mean) / std
    return out


def _fresh_draw(fresh, epoch: int, zs: list[torch.Tensor], n_classes: list[int]):
    """``fresh(epoch)`` checked against the test representations ``zs``: the same number of
    representations and widths, one sample count, labels within each decoder's classes."""
    drawn = fresh(epoch)
    if not isinstance(drawn, tuple) or len(drawn) != 2:
        raise TypeError(f"fresh({epoch}) must return a pair (zs, ys), got {type(drawn).__name__}")
    zs_new, ys_new = drawn
    same_length(f"fresh({epoch})'s zs", zs_new, "zs", zs)
    zs_new = [_as_features(z, f"fresh({epoch}) zs[{i}]") for i, z in enumerate(zs_new)]
    n_new = len(zs_new[0])
    if any(len(z) != n_new for z in zs_new) or n_new < 2:
        raise ValueError(f"fresh({epoch}) must give every representation the same number (>= 2) "
                         f"of samples, got {[len(z) for z in zs_new]}")
    if [z.shape[1] for z in zs_new] != [z.shape[1] for z in zs]:
        raise ValueError(f"fresh({epoch})'s widths {[z.shape[1] for z in zs_new]} differ from "
                         f"the test representations' {[z.shape[1] for z in zs]}")
    same_length(f"fresh({epoch})'s ys", ys_new, "zs", zs)
    ys_out = []
    for i, (y_new, k) in enumerate(zip(ys_new, n_classes)):
        y_new = check_labels(f"fresh({epoch}) ys[{i}]", y_new, n_new, match=f"its {n_new} samples")
        if y_new.min() < 0 or y_new.max() >= k:
            raise ValueError(f"fresh({epoch}) ys[{i}] has labels outside the test labels' "
                             f"classes 0..{k - 1}: give class indices 0..K-1 in both")
        ys_out.append(y_new)
    return zs_new, ys_out


def _as_features(z, name: str) -> torch.Tensor:
    """``z`` (samples, features), a 1-D ``z`` as one feature, as a float64 tensor: standardized
    in float64 and only then cast to the decoders' float32 (:func:`_stack_standardized`), so that
    a signal on a large offset (1e6 + 0.01 against 1e6) is not rounded away before it is centred."""
    if not isinstance(z, torch.Tensor):
        z = np.asarray(z)
    if z.ndim == 1:
        z = z[:, None]
    return torch.from_numpy(matrix(name, z))


def _as_labels(y, name: str, n_samples: int) -> torch.Tensor:
    """Integer labels (n_samples,) with at least two classes, as codes 0..C-1 (int64)."""
    y = check_labels(name, y, n_samples, match=f"the {n_samples} samples of its representation")
    classes, codes = np.unique(y.cpu().numpy(), return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"{name} has a single class ({classes.tolist()}): nothing to decode")
    return torch.as_tensor(codes, dtype=torch.int64)
