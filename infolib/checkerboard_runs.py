"""The checkerboard (CB) experiments of Kleinman et al. (ICLR 2021, appendix B.2-B.5), shared by the
usable-information chapters: train the seeds of one task together, then read the usable direction
and colour information of their hidden layers with one of three decoders.

Training (:func:`train_group`) follows B.5: SGD at a constant learning rate, the task's batch size,
90% of the task's samples to train and 10% to validate, optionally ``pretrain`` epochs on the colour
before the direction (B.1-B.2). The seeds of a group are trained at once by
:func:`infolib.ensemble.fit_together`, each with its own data set
(``checkerboard(..., seed=seed)``),
initialization, mini-batch order and SGD steps; a network trained in a group equals the one
:func:`infolib.train.fit` trains alone up to floating-point rounding (about 1e-7 in the parameters
after a few hundred steps), which a long run may amplify. A group is therefore one cached unit,
keyed by all of its seeds.

Measurement (:func:`usable_bits`) reads a trained network's hidden layers on fresh CB samples,
independent of its training data, with one decoder per (epoch, layer, label):

- ``"paper"``: appendix B.3's decoder (128-64-32 units, batch-norm, Leaky-ReLU 0.2, dropout 0.7,
  100 epochs of SGD at the task's decoder learning rate) on one probe set per run, a quarter to
  train of which a fifth stops each decoder early (the book's choice: without it an uninformative
  representation scores below zero);
- ``"linear"``: a linear probe (``hidden=()``) on the same split, a decoder too weak to invent
  structure;
- ``"literal"``: B.3 as written: 1,250 fresh samples for every decoder epoch, 3,750 test samples,
  no early stopping (``usable_information_many(fresh=...)``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import torch

from infolib.cache import cached
from infolib.checks import integer, one_of, random_seed, real
from infolib.data import Checkerboard, checkerboard
from infolib.ensemble import fit_together
from infolib.models import hidden_activations, mlp
from infolib.train import accuracy
from infolib.usable import usable_information_many

# Appendix B.5 (and the decoder learning rates of B.3); "Fig. 7d" is the n = 25 task of Fig. 7.
TASKS = {
    "Fig. 2a": dict(net="Small FC", hidden=(10, 7, 5, 4, 3), n_colors=2, batch_size=32, lr=0.05,
                    n_samples=10_000, decoder_lr=0.05),
    "Fig. 2b": dict(net="Medium FC", hidden=(100, 20, 20, 20), n_colors=10, batch_size=64, lr=0.5,
                    n_samples=25_000, decoder_lr=0.5),
    "Fig. 2c": dict(net="Medium FC", hidden=(100, 20, 20, 20), n_colors=20, batch_size=128,
                    lr=0.5, n_samples=50_000, decoder_lr=0.5),
    "Fig. 7d": dict(net="Medium FC", hidden=(100, 20, 20, 20), n_colors=25, batch_size=128,
                    lr=0.5, n_samples=75_000, decoder_lr=0.5),
}
LABELS = ("direction", "color")
DECODERS = ("paper", "linear", "literal")
TRAIN_FRACTION = 0.9  # B.5: 90% train, 10% validation
PROBE_SEED = 100_000  # probe samples of run s: checkerboard(..., seed=PROBE_SEED + s)
FRESH_SEED = 200_000  # the literal decoder's fresh draws: seed FRESH_SEED + 1000 * s + epoch
SOLVED_ACCURACY = 0.9  # a run "solved the task": final validation accuracy on the direction
MAX_SEED = (2**32 - 1 - FRESH_SEED - 999) // 1000  # the largest run seed whose seeds all fit


def checked_run_seed(name: str, value) -> int:
    """A run's seed as an int in 0..:data:`MAX_SEED` (its probe and fresh-sample seeds, derived
    from it, must fit in 0..2**32 - 1), or a TypeError/ValueError naming ``name``."""
    value = random_seed(name, value)
    if value > MAX_SEED:
        raise ValueError(f"{name} must be at most {MAX_SEED}, got {value}: the run's probe seed "
                         f"({PROBE_SEED} + s) and fresh-sample seeds ({FRESH_SEED} + 1000 s + "
                         "epoch) must fit in 2**32 - 1")
    return value


def task_spec(task: str) -> dict:
    """The hyper-parameters of one of :data:`TASKS` (a copy), or a ValueError naming them."""
    one_of("task", task, tuple(TASKS))
    return dict(TASKS[task])


def training_data(task: str, seed: int, data_fraction: float = 1.0) -> tuple[Checkerboard, int]:
    """Run ``seed``'s samples of ``task`` (``data_fraction`` of the paper's number, at least 100)
    and how many of them train (the first 90%); the rest validate."""
    spec = task_spec(task)
    data_fraction = real("data_fraction", data_fraction, above=0, maximum=1)
    n_samples = max(100, round(spec["n_samples"] * data_fraction))  # int() floors 28499.999...
    return checkerboard(spec["n_colors"], n_samples, seed=seed), int(TRAIN_FRACTION * n_samples)


def hidden_layers(task: str, layers: Sequence[int] | None) -> list[int]:
    """``layers`` as a list of the task's hidden layers (1 = the first), all of them for None;
    a ValueError or TypeError for anything else (a bool or a float is not a layer number)."""
    n_hidden = len(task_spec(task)["hidden"])
    if layers is None:
        return list(range(1, n_hidden + 1))
    layers = [integer(f"layers[{i}]", layer, minimum=1) for i, layer in enumerate(layers)]
    if not layers or max(layers) > n_hidden:
        raise ValueError(f"layers must be hidden layers 1..{n_hidden}, got {layers}")
    return layers


def network(task: str, init: str = "default", seed: int = 0, state: dict | None = None):
    """The task's network (B.5) with ``init`` (see :func:`infolib.models.mlp`) from ``seed``, or
    holding ``state`` (a state dict :func:`train_group` recorded)."""
    spec = task_spec(task)
    n = spec["n_colors"]
    model = mlp(n + n * n, spec["hidden"], n, init=init, seed=seed)
    if state is not None:
        model.load_state_dict({name: torch.as_tensor(value) for name, value in state.items()})
    return model.eval()


def train_group(
    task: str,
    seeds: Sequence[int],
    *,
    epochs: int,
    eval_at: Sequence[int],
    pretrain: int = 0,
    init: str = "default",
    data_fraction: float = 1.0,
    device: str | torch.device = "auto",
    progress: bool = False,
) -> list[dict]:
    """Train one network of ``task`` per seed, all at once: ``pretrain`` epochs on the colour, then
    ``epochs`` epochs on the direction (B.2: the same number after any pre-training), SGD at the
    task's constant learning rate and batch size. Returns one dict per seed: ``seed``,
    ``eval_at`` (the sorted epochs, counted from the start of pre-training), ``states`` (the
    network's state dict at each of them, CPU tensors) and ``val_accuracy`` (direction accuracy on
    the run's validation samples at each, a fraction)."""
    spec = task_spec(task)
    seeds = [checked_run_seed(f"seeds[{i}]", s) for i, s in enumerate(seeds)]
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct and at least one, got {seeds}")
    epochs = integer("epochs", epochs, minimum=1)
    pretrain = integer("pretrain", pretrain, minimum=0)
    eval_at = sorted({integer("eval_at", e, minimum=0) for e in eval_at})
    if not eval_at or eval_at[-1] != pretrain + epochs:  # solved() reads the last one
        raise ValueError(f"eval_at must name epochs in 0..{pretrain + epochs} (pre-training "
                         f"included) and end at the last, {pretrain + epochs}, got {eval_at}")
    data = [training_data(task, s, data_fraction) for s in seeds]
    models = [network(task, init, s) for s in seeds]
    records = [dict(seed=s, eval_at=eval_at, states={}, val_accuracy={}) for s in seeds]

    def recorder(record, data_and_split):
        cb, n_train = data_and_split

        def call(epoch, model):
            if epoch in eval_at and epoch not in record["states"]:
                record["states"][epoch] = {k: v.detach().cpu().clone()
                                           for k, v in model.state_dict().items()}
                record["val_accuracy"][epoch] = accuracy(model, cb.x[n_train:],
                                                         cb.direction[n_train:])
        return call

    callbacks = [recorder(r, d) for r, d in zip(records, data)]
    common = dict(batch_size=spec["batch_size"], lr=spec["lr"], seeds=seeds, device=device,
                  callback=callbacks, progress=progress)
    xs = [cb.x[:n_train] for cb, n_train in data]
    if pretrain:
        fit_together(models, xs, [cb.color[:n_train] for cb, n_train in data], epochs=pretrain,
                     desc="pre-training on the colour", **common)
    fit_together(models, xs, [cb.direction[:n_train] for cb, n_train in data], epochs=epochs,
                 start_epoch=pretrain, desc="training on the direction", **common)
    return [dict(seed=r["seed"], eval_at=eval_at,
                 states=[r["states"][e] for e in eval_at],
                 val_accuracy=np.array([r["val_accuracy"][e] for e in eval_at]))
            for r in records]


def solved(run: dict) -> bool:
    """Whether a run of :func:`train_group` learned the task: final validation accuracy >= 0.9."""
    return bool(run["val_accuracy"][-1] >= SOLVED_ACCURACY)


def probe(task: str, seed: int, n_samples: int) -> Checkerboard:
    """Run ``seed``'s probe samples: fresh CB samples, independent of its training data."""
    return checkerboard(task_spec(task)["n_colors"], n_samples,
                        seed=PROBE_SEED + checked_run_seed("seed", seed))


def usable_bits(
    task: str,
    run: dict,
    *,
    epochs: Sequence[int],
    layers: Sequence[int] | None = None,
    decoder: str = "paper",
    decoder_samples: int = 5000,
    decoder_epochs: int = 100,
    device: str | torch.device = "auto",
) -> np.ndarray:
    """Usable direction and colour information (bits) of a trained run's hidden layers: an array
    (len(epochs), len(layers), 2), labels in the order of :data:`LABELS`. ``epochs``: some of the
    run's ``eval_at``; ``layers``: hidden layers counted from 1 (default all); ``decoder``: one of
    :data:`DECODERS` (module docstring). ``decoder_samples`` probe samples per run, a quarter to
    train the decoders (the ``literal`` decoder draws that quarter afresh for every one of its
    ``decoder_epochs``). All decoders of the run train at once (``usable_information_many``) with
    the run's seed."""
    spec = task_spec(task)
    one_of("decoder", decoder, DECODERS)
    decoder_samples = integer("decoder_samples", decoder_samples, minimum=20)
    layers = hidden_layers(task, layers)
    epochs = [integer(f"epochs[{i}]", e, minimum=0) for i, e in enumerate(epochs)]
    recorded = list(run["eval_at"])
    if not epochs:
        raise ValueError(f"epochs is empty: name some of the run's recorded epochs {recorded}")
    missing = [e for e in epochs if e not in recorded]
    if missing:
        raise ValueError(f"epochs {missing} were not recorded (the run has {recorded})")
    seed = checked_run_seed("run['seed']", run["seed"])
    models = [network(task, state=run["states"][run["eval_at"].index(e)]) for e in epochs]

    def read(samples: Checkerboard):
        """Every decoder's (z, y) on ``samples``: epoch-major, then layer, then label."""
        zs, ys = [], []
        for model in models:
            hidden = hidden_activations(model, samples.x)
            for layer in layers:
                zs += [hidden[layer - 1]] * len(LABELS)
                ys += [samples.direction, samples.color]
        return zs, ys

    options = dict(epochs=decoder_epochs, lr=spec["decoder_lr"], momentum=0.0, seed=seed,
                   device=device)
    if decoder == "literal":
        if integer("decoder_epochs", decoder_epochs, minimum=1) >= 1000:  # fresh seeds per run
            raise ValueError(f"the literal decoder draws at most 999 epochs of fresh samples, "
                             f"got decoder_epochs={decoder_epochs}")
        n_fit = decoder_samples // 4
        test = checkerboard(spec["n_colors"], decoder_samples - n_fit, seed=PROBE_SEED + seed)
        for label, values in zip(LABELS, (test.direction, test.color)):
            if len(torch.unique(values)) < spec["n_colors"]:  # its decoders could not be scored
                raise ValueError(
                    f"the literal decoder's test draw of {decoder_samples - n_fit} samples (three "
                    f"quarters of decoder_samples={decoder_samples}) lacks some of the "
                    f"{spec['n_colors']} values of {label} on {task!r}: use a larger "
                    "decoder_samples (the chapters' 5,000)"
                )

        def fresh(epoch):
            return read(checkerboard(spec["n_colors"], n_fit,
                                     seed=FRESH_SEED + 1000 * seed + epoch))

        bits = usable_information_many(*read(test), early_stopping=False, fresh=fresh, **options)
    else:
        hidden = (128, 64, 32) if decoder == "paper" else ()
        bits = usable_information_many(*read(probe(task, seed, decoder_samples)), hidden=hidden,
                                       **options)
    return bits.reshape(len(epochs), len(layers), len(LABELS))


# --- what the chapters share around these: cached units, a long table, one figure --------------

def run_digest(run: dict) -> str:
    """sha256 (hex) of a trained run's content (seed, epochs, accuracies, every state tensor): the
    part of a measurement's cache key that changes whenever the network it reads changes."""
    hasher = hashlib.sha256(f"{run['seed']} {list(run['eval_at'])}".encode())
    hasher.update(np.ascontiguousarray(run["val_accuracy"], dtype=np.float64).tobytes())
    for state in run["states"]:
        for name in sorted(state):
            hasher.update(name.encode())
            hasher.update(np.ascontiguousarray(torch.as_tensor(state[name]).numpy()).tobytes())
    return hasher.hexdigest()


def trained(settings, task: str, seeds: Sequence[int], *, epochs: int, eval_at: Sequence[int],
            pretrain: int = 0, init: str = "default", device="auto") -> list[dict]:
    """:func:`train_group` as one unit of the result cache (``infolib.cache.cached``), keyed by the
    chapter's ``settings`` (its ``data_fraction``) and every argument."""
    key = settings.key("train_group", "data_fraction", task=task, spec=TASKS[task],
                       seeds=list(seeds), epochs=epochs, eval_at=sorted(set(eval_at)),
                       pretrain=pretrain, init=init)
    return cached(key, lambda: train_group(
        task, seeds, epochs=epochs, eval_at=eval_at, pretrain=pretrain, init=init,
        data_fraction=settings.data_fraction, device=device))


def measured(settings, task: str, run: dict, *, epochs: Sequence[int],
             layers: Sequence[int] | None = None, decoder: str = "paper",
             device="auto") -> dict:
    """:func:`usable_bits` as one unit of the result cache, keyed by the run's content
    (:func:`run_digest`), the chapter's ``decoder_samples`` and ``decoder_epochs`` and every
    argument. Returns ``{"seed", "epochs", "layers", "decoder", "bits"}``."""
    layers = hidden_layers(task, layers)
    key = settings.key("usable_bits", "decoder_samples", "decoder_epochs", task=task,
                       run=run_digest(run), epochs=list(epochs), layers=layers, decoder=decoder)
    bits = cached(key, lambda: usable_bits(
        task, run, epochs=epochs, layers=layers, decoder=decoder,
        decoder_samples=settings.decoder_samples, decoder_epochs=settings.decoder_epochs,
        device=device))
    return dict(seed=run["seed"], epochs=list(epochs), layers=layers, decoder=decoder, bits=bits)
