"""Colored and Shuffled Fashion-MNIST, the training protocol and the measurements of Bansal,
Pruthi and Belinkov (NeurIPS 2022), shared by the two memorization chapters.

- :func:`fashion_images`: Fashion-MNIST at 14x14, as the authors' code subsamples MNIST.
- :func:`fashion_task`: one condition of a task, as the authors' code builds Colored and
  Shuffled MNIST (14x14 images; Colored: labels 0-4 vs 5-9 with 25% label noise, a fraction
  alpha of the training images colored by their label; Shuffled: a fraction beta of the labels
  shuffled), on Fashion-MNIST, the offline substitute for MNIST.
- :class:`Protocol`: how an MLP is trained. :data:`AUTHORS` is the authors' code (Xavier-uniform
  hidden layers with zero biases, an L2 penalty 0.002 sum ||w||^2, Adam 1e-3, batch 512, the
  checkpoint with the best validation accuracy); :data:`FIRST_EDITION` is this book's first
  edition (PyTorch's initialization, no penalty, the last epoch), kept as a sensitivity check.
- :func:`train_mlp` trains one network; :func:`measure` records what the chapters analyse:
  entropy of every hidden neuron (shared edges and per-neuron edges), KSG MI of a fixed random
  subset of neurons of every hidden layer, and the norm-based complexity measures.
- :func:`memorized_betas` and :func:`shuffled_fit_note`: did the Shuffled networks memorize random
  labels, i.e. fit more training labels than the unshuffled ones alone explain?
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from infolib.checks import integer, one_of, random_seed, real
from infolib.complexity import frobenius_product, path_norm, spectral_product
from infolib.data import color_by_label, fashion_mnist, flip_binary_labels, redraw_labels
from infolib.models import hidden_activations, mlp
from infolib.neurons import neuron_entropy, pairwise_mi
from infolib.train import BestValidation, accuracy, fit

TASKS = ("colored", "shuffled")
CONDITIONS = (0.0, 0.25, 0.5, 0.75, 1.0)  # alpha (Colored), beta (Shuffled): the paper's B.1, B.5
LABEL_NOISE = 0.25  # Colored MNIST's label noise (Arjovsky et al., 2019; the authors' code)
MEMORIZED_ABOVE = 0.05  # training accuracy above fitting only the unshuffled labels: memorized


@dataclass(frozen=True)
class Protocol:
    """How :func:`train_mlp` trains. ``init``: :func:`infolib.models.mlp`'s; ``l2``: weight of
    the penalty l2 * sum ||w||^2 over all parameters added to the mean cross-entropy (Adam with
    coupled weight decay 2 * l2 takes exactly these steps); ``checkpoint``: ``"best"`` validation
    accuracy, checked after epochs 1, 11, 21, ... (:class:`infolib.train.BestValidation`), or
    ``"last"`` epoch; ``lr`` and ``batch_size``: Adam's."""

    init: str = "xavier-hidden"
    l2: float = 0.002
    checkpoint: str = "best"
    lr: float = 1e-3
    batch_size: int = 512

    def __post_init__(self) -> None:
        one_of("init", self.init, ("default", "xavier", "xavier-hidden"))
        one_of("checkpoint", self.checkpoint, ("best", "last"))
        real("l2", self.l2, minimum=0)
        real("lr", self.lr, above=0)
        integer("batch_size", self.batch_size, minimum=1)


AUTHORS = Protocol()
FIRST_EDITION = Protocol(init="default", l2=0.0, checkpoint="last")


@functools.lru_cache(maxsize=2)
def fashion_images(split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Fashion-MNIST ``split`` at 14x14 (every second pixel of each row and column, as the
    authors' code does to MNIST): images (N, 1, 14, 14) in [0, 1], labels (N,)."""
    images, labels = fashion_mnist(split)
    return images[:, :, ::2, ::2].contiguous(), labels


def fashion_task(
    task: str,
    condition: float,
    *,
    n_train: int,
    n_eval: int,
    label_noise: float = LABEL_NOISE,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Flattened training and evaluation inputs and labels of one condition of ``task``.

    Training images: ``n_train`` drawn from the 60,000 with ``seed``; evaluation images: the first
    ``n_eval`` of the 10,000 test images (the authors hold out 10,000 MNIST training images).

    - ``"colored"`` (alpha = ``condition``): label 1 for classes 5-9, 0 for 0-4; a fraction
      ``label_noise`` of the labels flipped, in both sets (the authors' 25%); a fraction alpha of
      the training images colored by their (noisy) label, the others at random
      (:func:`infolib.data.color_by_label`), the evaluation images all at random. Inputs: 2 x 196.
    - ``"shuffled"`` (beta = ``condition``): the labels of a fraction beta of the training images
      redrawn uniformly, as the authors' code does (:func:`infolib.data.redraw_labels`);
      evaluation labels clean.
      Inputs: 196 grey values.
    """
    one_of("task", task, TASKS)
    condition = real("condition", condition, minimum=0, maximum=1)
    n_train = integer("n_train", n_train, minimum=1)
    n_eval = integer("n_eval", n_eval, minimum=1)
    if n_train > 60_000 or n_eval > 10_000:
        raise ValueError(f"Fashion-MNIST has 60,000 training and 10,000 test images, got "
                         f"n_train={n_train}, n_eval={n_eval}")
    seed = random_seed("seed", seed)
    train_images, train_labels = fashion_images("train")
    test_images, test_labels = fashion_images("test")
    subset = torch.randperm(len(train_images), generator=torch.Generator().manual_seed(seed))
    x_train, y_train = train_images[subset[:n_train]], train_labels[subset[:n_train]]
    x_eval, y_eval = test_images[:n_eval], test_labels[:n_eval]
    if task == "colored":
        y_train = flip_binary_labels((y_train >= 5).long(), label_noise, seed=seed)
        y_eval = flip_binary_labels((y_eval >= 5).long(), label_noise, seed=10_000 + seed)
        x_train = color_by_label(x_train, y_train, condition, seed=seed)[0]
        x_eval = color_by_label(x_eval, y_eval, 0.0, seed=20_000 + seed)[0]
    else:
        y_train = redraw_labels(y_train, condition, n_classes=10, seed=seed)
    return x_train.flatten(1), y_train, x_eval.flatten(1), y_eval


def train_mlp(
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_eval: torch.Tensor,
    y_eval: torch.Tensor,
    *,
    depth: int = 3,
    width: int = 256,
    epochs: int,
    protocol: Protocol = AUTHORS,
    seed: int = 0,
    device: str | torch.device = "auto",
) -> tuple[nn.Sequential, dict]:
    """Train an MLP of ``depth`` hidden ReLU layers of ``width`` units by ``protocol``.

    Returns the model (the best-validation checkpoint or the last epoch, on ``device``) and a dict:
    ``train_accuracy`` (on the training labels as given, shuffled ones included),
    ``val_accuracy`` (on the evaluation set), ``epoch`` (the epoch of the returned state).
    """
    model = mlp(x_train.shape[1], [width] * integer("depth", depth, minimum=1),
                int(max(y_train.max(), y_eval.max())) + 1, init=protocol.init, seed=seed)
    best = BestValidation(x_eval, y_eval) if protocol.checkpoint == "best" else None
    fit(model, x_train, y_train, epochs=epochs, batch_size=protocol.batch_size, lr=protocol.lr,
        optimizer="adam", weight_decay=2 * protocol.l2, callback=best, seed=seed, device=device,
        progress=False)
    if best is not None:
        best.restore(model)
    return model, dict(
        train_accuracy=accuracy(model, x_train, y_train),
        val_accuracy=accuracy(model, x_eval, y_eval),
        epoch=best.best_epoch if best is not None else epochs,
    )


def mi_subset(layer_sizes, per_layer: int, *, seed: int) -> np.ndarray:
    """Column indices of ``per_layer`` neurons drawn at random (``seed``) from each hidden layer
    of the given sizes (all of a layer's neurons when it has fewer), in the concatenated order."""
    rng = np.random.default_rng(seed)
    offsets = np.cumsum([0, *layer_sizes[:-1]])
    return np.concatenate([
        offset + np.sort(rng.choice(size, size=min(per_layer, size), replace=False))
        for offset, size in zip(offsets, layer_sizes)
    ])


def measure(
    model: nn.Module,
    x_eval: torch.Tensor,
    *,
    mi_neurons: int,
    mi_samples: int,
    kind: str = "pre",
    bins: int = 100,
    seed: int = 0,
    device: str | torch.device = "auto",
) -> dict:
    """What the memorization chapters analyse of one network, on the inputs ``x_eval``.

    - ``entropy``: each hidden neuron's entropy in bits over ``bins`` edges shared by all hidden
      neurons (the authors' code: the pooled ``kind`` activations of all hidden layers);
      ``entropy_per_neuron``: over each neuron's own range (the paper's text read literally);
      ``layer``: the hidden layer (0, 1, ...) of each neuron.
    - ``mi``: raw KSG MI (k = 3, bits, no standardization: the authors' estimator) of every pair
      among ``mi_neurons`` random neurons of each hidden layer, on ``mi_samples`` random inputs
      of ``x_eval``: a square matrix, NaN diagonal; ``mi_layer``: the layer of its rows.
    - ``norms``: the three complexity measures of :mod:`infolib.complexity`, in float64 on a CPU
      copy of the model (the model itself is left on its device).
    """
    layers = [a.numpy() for a in hidden_activations(model, x_eval, kind=kind)]
    sizes = [a.shape[1] for a in layers]
    acts = np.concatenate(layers, axis=1)
    columns = mi_subset(sizes, mi_neurons, seed=seed)
    rows = np.random.default_rng(seed).choice(len(acts), size=min(mi_samples, len(acts)),
                                              replace=False)
    on_cpu = copy.deepcopy(model).cpu()  # norms on the CPU; the caller's model stays put
    layer = np.repeat(np.arange(len(sizes)), sizes)
    return dict(
        entropy=neuron_entropy(acts, bins=bins, binning="global"),
        entropy_per_neuron=neuron_entropy(acts, bins=bins),
        layer=layer,
        mi=pairwise_mi(acts[np.ix_(rows, columns)], k=3, seed=seed, device=device,
                       standardize=False).astype(np.float32),
        mi_layer=layer[columns],
        norms={"2-norm": spectral_product(on_cpu), "Frobenius": frobenius_product(on_cpu),
               "path-norm": path_norm(on_cpu)},
    )


def mean_mi(result: dict, layers=None) -> float:
    """Mean MI (bits) over the measured pairs of ``result`` (from :func:`measure`) whose two
    neurons both lie in ``layers`` (None: all pairs, across layers too)."""
    inside = np.ones(len(result["mi_layer"]), bool) if layers is None else np.isin(
        result["mi_layer"], layers)
    if inside.sum() < 2:
        measured = sorted(set(result["mi_layer"].tolist()))
        raise ValueError(f"layers {layers!r} hold {int(inside.sum())} measured neuron(s) of the "
                         f"layers {measured}: a mean MI needs a pair")
    block = result["mi"][np.ix_(inside, inside)]
    return float(block[np.triu_indices(len(block), k=1)].mean())


def _unshuffled_only(train_accuracy, classes: int) -> dict[float, tuple[float, float]]:
    """beta -> (measured training accuracy, (1 - beta) acc(0) + beta / classes) for beta > 0."""
    integer("classes", classes, minimum=2)
    accuracy = {real("beta", beta, minimum=0, maximum=1):
                real(f"train_accuracy at beta={beta}", value, minimum=0, maximum=1)
                for beta, value in dict(train_accuracy).items()}
    if 0.0 not in accuracy:
        raise ValueError(f"train_accuracy needs beta = 0 (the unshuffled labels' fit), got betas "
                         f"{sorted(accuracy)}")
    return {beta: (value, (1 - beta) * accuracy[0.0] + beta / classes)
            for beta, value in sorted(accuracy.items()) if beta > 0}


def memorized_betas(train_accuracy, *, classes: int) -> list[float]:
    """The betas at which Shuffled networks memorized random labels: their training accuracy on the
    labels as given exceeds (1 - beta) acc(0) + beta / classes, what fitting only the unshuffled
    labels gives (a shuffled label keeps its class about one time in ``classes``), by more than
    :data:`MEMORIZED_ABOVE`. ``train_accuracy``: beta -> mean training accuracy, beta = 0
    included."""
    pairs = _unshuffled_only(train_accuracy, classes)
    return [beta for beta, (measured, unshuffled) in pairs.items()
            if measured - unshuffled > MEMORIZED_ABOVE]


def shuffled_fit_note(train_accuracy, *, classes: int) -> str:
    """:func:`memorized_betas` for a reader: every beta's measured training accuracy against
    fitting only the unshuffled labels, and where random labels were memorized."""
    pairs = _unshuffled_only(train_accuracy, classes)
    above = memorized_betas(train_accuracy, classes=classes)
    return ("training accuracy on the shuffled labels against fitting only the unshuffled ones: "
            + ", ".join(f"beta={b:g} {m:.2f} vs {u:.2f}" for b, (m, u) in pairs.items())
            + (f"; no random labels memorized beyond that ({MEMORIZED_ABOVE:g}) at any beta"
               if not above else
               f"; random labels memorized at beta = {', '.join(f'{b:g}' for b in above)}"))
