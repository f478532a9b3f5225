"""The checkerboard experiments' shared functions: seeds trained together equal seeds trained
alone, what is recorded is what was asked for, and the three decoders agree where they must."""

import numpy as np
import pandas as pd
import pytest
import torch

from infolib.checkerboard_runs import (
    LABELS,
    network,
    probe,
    solved,
    train_group,
    training_data,
    usable_bits,
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
    (run,) = train_group("Fig. 2a", [0], epochs=1, eval_at=[0, 1], init="xavier",
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
    # solved() judges a run by its last recorded accuracy: it must be the end of training
    with pytest.raises(ValueError, match="end at the last, 3"):
        train_group("Fig. 2a", [0], epochs=2, pretrain=1, eval_at=[0, 2], data_fraction=FRACTION)
    # a seed whose derived seeds do not fit is named as the caller gave it
    with pytest.raises(ValueError, match=r"seeds\[0\] must be at most 4294766, got 4294767"):
        train_group("Fig. 2a", [4_294_767], epochs=1, eval_at=[1], data_fraction=FRACTION)
    (run,) = train_group("Fig. 2a", [0], epochs=1, eval_at=[0, 1], data_fraction=FRACTION,
                         device="cpu")
    with pytest.raises(ValueError, match="were not recorded"):
        usable_bits("Fig. 2a", run, epochs=[2])
    with pytest.raises(ValueError, match=r"epochs is empty: name some of the run's recorded"):
        usable_bits("Fig. 2a", run, epochs=[])
    with pytest.raises(ValueError, match=r"epochs \[2\] were not recorded"):
        usable_bits("Fig. 2a", run, epochs=np.array([1, 2]))
    with pytest.raises(ValueError, match="layers"):
        usable_bits("Fig. 2a", run, epochs=[1], layers=[6])
    with pytest.raises(ValueError, match="decoder"):
        usable_bits("Fig. 2a", run, epochs=[1], decoder="oracle")
    with pytest.raises(ValueError, match="999"):
        usable_bits("Fig. 2a", run, epochs=[1], decoder="literal", decoder_epochs=1000)
    # too few samples for the literal decoder's test draw to hold 25 colours: it failed naming
    # "ys[1]", which the caller cannot map back to decoder_samples
    (wide,) = train_group("Fig. 7d", [0], epochs=1, eval_at=[1], data_fraction=FRACTION,
                          device="cpu")
    with pytest.raises(ValueError, match=r"test draw of 75 samples .*decoder_samples=100\) lacks"):
        usable_bits("Fig. 7d", wide, epochs=[1], decoder="literal", decoder_samples=100,
                    decoder_epochs=2, device="cpu")


def test_the_three_decoders_read_what_an_untrained_first_layer_holds():
    """At initialization Small FC's first layer (10 ReLUs of the noisy colour and the targets)
    holds the colour, which a linear read-out recovers: every decoder reads nearly 1 bit of it
    (the label's entropy), and no decoder reads more than the entropy."""
    (run,) = train_group("Fig. 2a", [0], epochs=1, eval_at=[0, 1], data_fraction=FRACTION,
                         device="cpu")
    for decoder in ("paper", "linear", "literal"):
        bits = usable_bits("Fig. 2a", run, epochs=[0], layers=[1, 5], decoder=decoder,
                           decoder_samples=2000, decoder_epochs=20, device="cpu")
        assert bits.shape == (1, 2, len(LABELS))
        color_first = bits[0, 0, LABELS.index("color")]
        assert 0.8 < color_first <= 1.02, (decoder, bits)
        assert (bits <= 1.02).all()


def test_usable_bits_reads_each_epoch_layer_and_label_where_it_was_asked():
    """Hand-made states tell the readings apart: layer 1 sees only the board (the colour, no
    direction) at both epochs, layer 2 is dead (constant) at epoch 0 and alive at 7. A reading
    by list position instead of by epoch, swapped epoch and layer slots, or swapped labels each
    put a number in the wrong cell (the first would read the initialization where the
    chapters ask for the end of training: eval_at [0, E], epochs [E])."""
    colour_only = {k: v.clone() for k, v in network("Fig. 2a", seed=0).state_dict().items()}
    colour_only["0.weight"][:, 2:] = 0  # the inputs after the 2 board columns are the targets
    dead = {k: v.clone() for k, v in colour_only.items()}
    dead["2.weight"].zero_()
    dead["2.bias"].zero_()
    run = dict(seed=0, eval_at=[0, 7], states=[dead, colour_only], val_accuracy=np.array([.5, .5]))
    options = dict(layers=[1, 2], decoder="linear", decoder_samples=1000, decoder_epochs=10,
                   device="cpu")
    direction, color = LABELS.index("direction"), LABELS.index("color")
    bits = usable_bits("Fig. 2a", run, epochs=[0, 7], **options)
    assert (bits[:, 0, color] > 0.8).all(), bits
    assert (bits[..., direction] < 0.2).all(), bits
    assert bits[0, 1, color] < 0.2 and bits[1, 1, color] > 0.5, bits
    (only_last,) = usable_bits("Fig. 2a", run, epochs=[7], **options)  # epoch 7, listed first
    assert only_last[1, color] > 0.5 and (only_last[:, direction] < 0.2).all(), only_last


def test_solved_is_judged_at_the_line():
    assert solved(dict(val_accuracy=np.array([0.1, 0.9])))
    assert not solved(dict(val_accuracy=np.array([0.95, 0.8999])))


def test_probe_samples_are_not_training_samples():
    cb, _ = training_data("Fig. 2a", 0)
    probe_x = probe("Fig. 2a", 0, 500).x
    assert not torch.equal(probe_x[:, :2], cb.x[:500, :2])  # the noisy colours differ
    assert solved(dict(val_accuracy=np.array([0.5, 0.95])))
    assert not solved(dict(val_accuracy=np.array([0.95, 0.5])))


def fake_run(seed, accuracy, eval_at=(0, 10)):
    """A Small FC run with untrained states: enough for the report's tables."""
    state = {k: v.clone() for k, v in network("Fig. 2a", seed=seed).state_dict().items()}
    return dict(seed=seed, eval_at=list(eval_at), states=[state] * len(eval_at),
                val_accuracy=np.array([0.5, accuracy]))


def test_the_long_table_and_values_at_keep_each_reading_where_it_belongs():
    from infolib.checkerboard_report import information_frame, runs_note, values_at

    runs = [fake_run(0, 0.99), fake_run(1, 0.5), fake_run(2, 0.95)]
    bits = {s: np.arange(2 * 2 * 2, dtype=float).reshape(2, 2, 2) + 100 * s for s in range(3)}
    readings = [dict(seed=s, epochs=[0, 10], layers=[1, 5], decoder="paper", bits=bits[s])
                for s in range(3)]
    frame = information_frame(runs, readings, task="Fig. 2a")
    assert len(frame) == 3 * 2 * 2 * 2
    assert set(frame[frame["last"]].layer) == {5}
    # epoch 10 (index 1), last layer (index 1), colour (index 1): bits[1, 1, 1] = 7 + 100 s,
    # for the solved seeds 0 and 2 only
    last_color = values_at(frame, label="color", layer="last", epoch=10)
    assert last_color.to_dict() == {0: 7.0, 2: 207.0}
    first_direction = values_at(frame, label="direction", layer=1, epoch=0)
    assert first_direction.to_dict() == {0: 0.0, 2: 200.0}
    # off the diagonal: epoch 10 (index 1), layer 1 (index 0), colour (index 1) = bits[1, 0, 1]
    assert values_at(frame, label="color", layer=1, epoch=10).to_dict() == {0: 5.0, 2: 205.0}
    at_start = frame[(frame.seed == 0) & (frame.epoch == 0)].accuracy
    assert at_start.unique().tolist() == [0.5]  # the accuracy at that epoch, not the final one
    assert runs_note(runs) == "2 of 3 runs solved the task and are used"
    with pytest.raises(ValueError, match="not among the runs"):
        information_frame(runs[:1], readings, task="Fig. 2a")
    # two runs of one seed (two initializations framed together): a reading could belong to
    # either, and the first run's would have been credited to the last one
    with pytest.raises(ValueError, match=r"runs hold seeds \[0\] more than once"):
        information_frame([runs[0], fake_run(0, 0.3)], readings[:1], task="Fig. 2a")
    with pytest.raises(ValueError, match=r"epoch 5, which its run did not record \(it has \[0, 10"):
        information_frame(runs, [dict(readings[0], epochs=[0, 5])], task="Fig. 2a")
    # a typo, or a reading never measured, is an error, not an empty Series ("no solved runs")
    for typo, match in ((dict(label="colour"), "label"), (dict(layer="first"), "layer"),
                        (dict(layer=2), "layer=2"), (dict(epoch=11), "epoch=11"),
                        (dict(decoder="linear"), "decoder='linear'"), (dict(decoder="Paper"),
                                                                       "decoder")):
        with pytest.raises((TypeError, ValueError), match=match):
            values_at(frame, **{**dict(label="color", layer="last", epoch=10), **typo})
    # a decoder the frame made itself (the controls chapter's estimates clipped at zero) is read
    clipped = pd.concat([frame, frame.assign(decoder="clipped", bits=frame.bits.clip(upper=6))])
    assert values_at(clipped, label="color", layer="last", epoch=10,
                     decoder="clipped").to_dict() == {0: 6.0, 2: 6.0}
    # two tasks' frames together hold two readings of a seed: refused, not one silently kept
    both = pd.concat([frame, information_frame(runs, readings, task="Fig. 2a")])
    with pytest.raises(ValueError, match=r"seeds \[0, 2\] have more than one reading"):
        values_at(both, label="color", layer="last", epoch=10)


def test_layers_and_sample_counts_are_what_they_say():
    from infolib.checkerboard_runs import hidden_layers

    assert hidden_layers("Fig. 2a", None) == [1, 2, 3, 4, 5]
    assert hidden_layers("Fig. 2a", (np.int64(2), 5)) == [2, 5]
    for bad in ([True], [1.0], [0], [6], []):
        with pytest.raises((TypeError, ValueError), match="layer"):
            hidden_layers("Fig. 2a", bad)
    # 50,000 x 0.57 is 28,499.999... in floating point: the count is rounded, not floored
    _, n_train = training_data("Fig. 2c", 0, 0.57)
    assert n_train == int(0.9 * 28_500)


def test_run_digest_changes_with_any_weight():
    from infolib.checkerboard_runs import run_digest

    run = fake_run(0, 0.99)
    changed = fake_run(0, 0.99)
    changed["states"] = [dict(changed["states"][0]), changed["states"][1]]
    changed["states"][0]["0.weight"] = changed["states"][0]["0.weight"] + 1e-6
    assert run_digest(run) == run_digest(fake_run(0, 0.99))
    assert run_digest(run) != run_digest(changed)


def test_an_empty_long_table_keeps_its_columns_under_a_mask():
    """No run solved the task: the table is empty but typed, so frame[frame.solved] selects rows
    (an untyped empty column would be read as a list of column names and drop every column)."""
    from infolib.checkerboard_report import information_frame, values_at

    frame = information_frame([fake_run(0, 0.5)], [], task="Fig. 2a")
    assert frame.empty and "seed" in frame[frame.solved].columns
    assert values_at(frame, label="color", layer="last", epoch=10).empty


def test_training_accuracy_reads_the_final_network_on_its_own_training_samples():
    from infolib.checkerboard_report import training_accuracy

    # a network that always answers direction 0: its accuracy is the share of 0s among the
    # run's training samples (the first 90% of its seed's samples), not among the others
    model = network("Fig. 2a")
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.zero_()
        model[-1].bias[0] = 1.0
    state = {k: v.clone() for k, v in model.state_dict().items()}
    run = dict(seed=3, states=[network("Fig. 2a").state_dict(), state])
    cb, n_train = training_data("Fig. 2a", 3, FRACTION)
    expected = float((cb.direction[:n_train] == 0).float().mean())
    assert training_accuracy("Fig. 2a", run, FRACTION) == pytest.approx(expected)
    assert expected != pytest.approx(float((cb.direction[n_train:] == 0).float().mean()))
    with pytest.raises(TypeError, match="seed"):
        training_accuracy("Fig. 2a", dict(run, seed=1.5), FRACTION)
