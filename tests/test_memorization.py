"""The memorization chapters' shared tasks, protocol and measurements."""

import numpy as np
import pytest
import torch

from infolib import memorization as mem
from infolib.neurons import neuron_entropy, pairwise_mi


def test_colored_task_has_the_label_noise_and_color_agreement_of_the_authors():
    x, y, x_eval, y_eval = mem.fashion_task("colored", 0.5, n_train=4000, n_eval=2000, seed=1)
    assert x.shape == (4000, 392) and x_eval.shape == (2000, 392)
    images, labels = mem.fashion_images("train")
    order = torch.randperm(60_000, generator=torch.Generator().manual_seed(1))[:4000]
    clean = (labels[order] >= 5).long()
    assert float((y != clean).float().mean()) == pytest.approx(0.25, abs=1e-3)  # label noise
    red = x[:, :196].sum(1) > 0  # channel 0 carries the pixels of a red image
    agree = float((red.long() == y).float().mean())
    assert agree == pytest.approx(0.5 + 0.5 / 2, abs=0.03)  # alpha + (1 - alpha) / 2
    eval_red = x_eval[:, :196].sum(1) > 0
    assert float((eval_red.long() == y_eval).float().mean()) == pytest.approx(0.5, abs=0.04)
    test_clean = (mem.fashion_images("test")[1][:2000] >= 5).long()
    assert float((y_eval != test_clean).float().mean()) == pytest.approx(0.25, abs=1e-3)


def test_shuffled_task_redraws_the_fraction_and_keeps_evaluation_clean():
    x, y, x_eval, y_eval = mem.fashion_task("shuffled", 1.0, n_train=3000, n_eval=500, seed=0)
    _, y0, _, y_eval0 = mem.fashion_task("shuffled", 0.0, n_train=3000, n_eval=500, seed=0)
    assert x.shape == (3000, 196)
    # every label redrawn uniformly (the authors' code): about 300 of each class (binomial sd 16)
    assert (torch.bincount(y, minlength=10) - 300).abs().max().item() < 70
    assert 0.05 < float((y == y0).float().mean()) < 0.15  # about 1 in 10 redraw their own label
    _, half, _, _ = mem.fashion_task("shuffled", 0.5, n_train=3000, n_eval=500, seed=0)
    assert float((half != y0).float().mean()) == pytest.approx(0.45, abs=0.03)  # 0.5 x 9/10
    assert torch.equal(y_eval, y_eval0) and torch.equal(y_eval, mem.fashion_images("test")[1][:500])
    with pytest.raises(ValueError, match="task"):
        mem.fashion_task("rotated", 0.5, n_train=10, n_eval=10)
    with pytest.raises(ValueError, match="60,000"):
        mem.fashion_task("colored", 0.5, n_train=70_000, n_eval=10)


def test_measure_matches_the_estimators_on_the_concatenated_layers():
    torch.manual_seed(0)
    x = torch.randn(400, 6)
    y, y_eval = torch.randint(0, 3, (400,)), torch.randint(0, 3, (100,))
    model, info = mem.train_mlp(x, y, x[:100], y_eval, depth=2, width=12, epochs=3, seed=0,
                                device="cpu")
    assert info["epoch"] == 1  # one check (after epoch 1) in three epochs
    result = mem.measure(model, x, mi_neurons=5, mi_samples=300, seed=2, device="cpu")
    acts = np.concatenate([(x @ model[0].weight.T + model[0].bias).detach().numpy(),
                           (torch.relu(x @ model[0].weight.T + model[0].bias) @ model[2].weight.T
                            + model[2].bias).detach().numpy()], axis=1)
    np.testing.assert_allclose(result["entropy"], neuron_entropy(acts, binning="global"), atol=1e-5)
    np.testing.assert_allclose(result["entropy_per_neuron"], neuron_entropy(acts), atol=1e-5)
    np.testing.assert_array_equal(result["layer"], [0] * 12 + [1] * 12)
    columns = mem.mi_subset([12, 12], 5, seed=2)
    assert len(columns) == 10 and set(result["mi_layer"]) == {0, 1}
    rows = np.random.default_rng(2).choice(400, size=300, replace=False)
    expected = pairwise_mi(acts[np.ix_(rows, columns)], seed=2, device="cpu", standardize=False)
    np.testing.assert_allclose(result["mi"], expected, rtol=1e-5, atol=1e-6)
    upper = expected[np.triu_indices(10, k=1)]
    assert mem.mean_mi(result) == pytest.approx(upper.mean(), rel=1e-5)
    first = expected[:5, :5][np.triu_indices(5, k=1)]
    assert mem.mean_mi(result, layers=[0]) == pytest.approx(first.mean(), rel=1e-5)
    for layers in ([7], []):  # no measured pair: an error, not NaN
        with pytest.raises(ValueError, match="a mean MI needs a pair"):
            mem.mean_mi(result, layers=layers)


def test_protocols_differ_as_documented_and_are_checked():
    assert (mem.AUTHORS.init, mem.AUTHORS.l2, mem.AUTHORS.checkpoint) == ("xavier-hidden", 0.002,
                                                                          "best")
    assert (mem.FIRST_EDITION.init, mem.FIRST_EDITION.l2, mem.FIRST_EDITION.checkpoint) == (
        "default", 0.0, "last")
    with pytest.raises(ValueError, match="checkpoint"):
        mem.Protocol(checkpoint="middle")


def test_memorized_betas_compares_with_fitting_only_the_unshuffled_labels():
    # acc(0) = 0.9, ten classes: fitting only the unshuffled labels gives 0.5 at beta = 0.5
    # ((1 - 0.5) 0.9 + 0.5 / 10) and 0.1 at beta = 1; memorized means more than 0.05 above that
    accuracy = {0.0: 0.9, 0.5: 0.56, 1.0: 0.14}
    assert mem.memorized_betas(accuracy, classes=10) == [0.5]
    assert mem.memorized_betas({0.0: 0.9, 0.5: 0.54, 1.0: 0.16}, classes=10) == [1.0]
    assert mem.memorized_betas({0.0: 0.9, 0.5: 0.5, 1.0: 0.1}, classes=10) == []
    # two classes: a shuffled label keeps its class one time in two, 0.5 at beta = 1
    assert mem.memorized_betas({0.0: 0.9, 1.0: 0.54}, classes=2) == []
    assert mem.memorized_betas({0.0: 0.9, 1.0: 0.56}, classes=2) == [1.0]
    note = mem.shuffled_fit_note(accuracy, classes=10)
    assert "beta=0.5 0.56 vs 0.50, beta=1 0.14 vs 0.10" in note
    assert note.endswith("random labels memorized at beta = 0.5")
    assert mem.shuffled_fit_note({0.0: 0.9, 1.0: 0.1}, classes=10).endswith(
        "no random labels memorized beyond that (0.05) at any beta")


def test_memorized_betas_refuses_what_it_cannot_compare():
    with pytest.raises(ValueError, match="beta = 0"):
        mem.memorized_betas({0.5: 0.5, 1.0: 0.1}, classes=10)
    with pytest.raises(ValueError, match="train_accuracy at beta=1"):
        mem.memorized_betas({0.0: 0.9, 1.0: 1.5}, classes=10)
    with pytest.raises(ValueError, match="classes"):
        mem.memorized_betas({0.0: 0.9, 1.0: 0.1}, classes=1)
    with pytest.raises(ValueError, match="beta"):
        mem.memorized_betas({0.0: 0.9, 1.5: 0.1}, classes=10)
