"""The checkerboard experiments' shared functions: seeds trained together equal seeds trained
alone, what is recorded is what was asked for, and the three decoders agree where they must."""

import numpy as np
import pytest
import torch

from infolib.checkerboard_runs import (
    LABELS, network, probe, solved, train_group, training_data, usable_bits,
)
from infolib.train import accuracy, fit

FRACTION = 0.02  # 200 samples of Small FC's 10,000: a few hundred SGD steps per test


def test_a_group_trains_each_seed_as_fit_trains_it_alone():
    """The slow reference: each seed trained by `fit` on its own data, colour then direction."""
    runs = train_group("Fig. 2a", [3, 4], epochs=3, pretrain=2, eval_at=[0, 2, 5],
                       data_fraction=FRACTION, device="cpu")
    for run in runs:
        cb, n_train = training_data("Fig. 2a", run["seed"], FRACTION)
        alone = network("Fig. 2a", seed=run["seed"])
        common = dict(batch_size=32, lr=0.05, seed=run["seed"], device="cpu", progress=False)
        fit(alone, cb.x[:n_train], cb.color[:n_train], epochs=2, **common)
        fit(alone, cb.x[:n_train], cb.direction[:n_train], epochs=3, start_epoch=2, **common)
        for name, value in alone.state_dict().items():
            torch.testing.assert_close(run["states"][-1][name], value, atol=1e-5, rtol=1e-5)
        final = network("Fig. 2a", state=run["states"][-1])
        assert run["val_accuracy"][-1] == pytest.approx(
            accuracy(final, cb.x[n_train:], cb.direction[n_train:]), abs=1e-9)
        assert run["eval_at"] == [0, 2, 5]
        assert len(run["states"]) == len(run["val_accuracy"]) == 3
        untrained = network("Fig. 2a", seed=run["seed"]).state_dict()
        for name, value in untrained.items():  # epoch 0 is the initialization
            torch.testing.assert_close(run["states"][0][name], value)


def test_glorot_initialization_has_zero_biases():
    (run,) = train_group("Fig. 2a", [0], epochs=1, eval_at=[0], init="xavier",
                         data_fraction=FRACTION, device="cpu")
    biases = [v for k, v in run["states"][0].items() if k.endswith("bias")]
    assert all(torch.count_nonzero(b) == 0 for b in biases)


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="task"):
        train_group("Fig. 9", [0], epochs=1, eval_at=[0])
    with pytest.raises(ValueError, match="distinct"):
        train_group("Fig. 2a", [1, 1], epochs=1, eval_at=[0], data_fraction=FRACTION)
    with pytest.raises(ValueError, match="eval_at"):
        train_group("Fig. 2a", [0], epochs=2, eval_at=[3], data_fraction=FRACTION)
    (run,) = train_group("Fig. 2a", [0], epochs=1, eval_at=[0, 1], data_fraction=FRACTION,
                         device="cpu")
    with pytest.raises(ValueError, match="were not recorded"):
        usable_bits("Fig. 2a", run, epochs=[2])
    with pytest.raises(ValueError, match="layers"):
        usable_bits("Fig. 2a", run, epochs=[1], layers=[6])
    with pytest.raises(ValueError, match="decoder"):
        usable_bits("Fig. 2a", run, epochs=[1], decoder="oracle")
    with pytest.raises(ValueError, match="999"):
        usable_bits("Fig. 2a", run, epochs=[1], decoder="literal", decoder_epochs=1000)


def test_the_three_decoders_read_what_an_untrained_first_layer_holds():
    """At initialization Small FC's first layer (10 ReLUs of the noisy colour and the targets)
    holds the colour, which a linear read-out recovers: every decoder reads nearly 1 bit of it
    (the label's entropy), and no decoder reads more than the entropy."""
    (run,) = train_group("Fig. 2a", [0], epochs=1, eval_at=[0], data_fraction=FRACTION,
                         device="cpu")
    for decoder in ("paper", "linear", "literal"):
        bits = usable_bits("Fig. 2a", run, epochs=[0], layers=[1, 5], decoder=decoder,
                           decoder_samples=2000, decoder_epochs=20, device="cpu")
        assert bits.shape == (1, 2, len(LABELS))
        color_first = bits[0, 0, LABELS.index("color")]
        assert 0.8 < color_first <= 1.02, (decoder, bits)
        assert (bits <= 1.02).all()


def test_probe_samples_are_not_training_samples():
    cb, _ = training_data("Fig. 2a", 0)
    probe_x = probe("Fig. 2a", 0, 500).x
    assert not torch.equal(probe_x[:, :2], cb.x[:500, :2])  # the noisy colours differ
    assert solved(dict(val_accuracy=np.array([0.5, 0.95])))
    assert not solved(dict(val_accuracy=np.array([0.95, 0.5])))
