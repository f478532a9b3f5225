"""Prequential codelengths against ground truth (a model that knows the labels, one that cannot
learn them), a per-example reference, unit changes, early stopping, the model information of a
learnable and of a random-label task, reproducibility, an untouched caller's model, bad input."""

import copy
import itertools
import math

import numpy as np
import pytest
import torch
from torch import nn

from infolib.cache import cached
from infolib.coding import (
    DEFAULT_FRACTIONS,
    Codelength,
    ModelInformation,
    _sum_kl,
    component_entries,
    information_ablation,
    information_similarity,
    kl_prequential_codelength,
    model_information,
    prequential_codelength,
    reset_parameters,
    step_floor_options,
    step_floor_training,
    synced_distillation_codelengths,
    unidirectional_similarity,
)
from infolib.models import mlp
from infolib.train import (
    BlockTraining,
    UntrainedModelWarning,
    cross_entropy_sum,
    fit,
    fit_early_stopping,
)

OPTIONS = {"device": "cpu", "progress": False}
FROZEN = BlockTraining(lr=0.0)  # Adam with a zero learning rate: the model never changes
K = 4


def blobs(n, seed, random_labels=False):
    """Four well-separated Gaussian blobs in 2-D, one per class; or the same inputs with labels
    drawn independently of them."""
    generator = torch.Generator().manual_seed(seed)
    centers = 3.0 * torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    y = torch.randint(0, K, (n,), generator=generator)
    x = centers[y] + 0.5 * torch.randn(n, 2, generator=generator)
    if random_labels:
        y = torch.randint(0, K, (n,), generator=generator)
    return x, y


def one_hot_task(n, seed=0):
    """x = one_hot(y) plus a little noise: y is written in the input."""
    generator = torch.Generator().manual_seed(seed)
    y = torch.randint(0, K, (n,), generator=generator)
    return torch.eye(K)[y] + 0.01 * torch.randn(n, K, generator=generator), y


def knowing_model():
    """Logits 50 x (the input), so p(true label) = 1 - O(e^-49) on the one-hot task."""
    model = nn.Linear(K, K)
    with torch.no_grad():
        model.weight.copy_(50 * torch.eye(K))
        model.bias.zero_()
    return model


def uniform_model(in_features=2):
    """Zero weights: logits 0, the uniform distribution over the K classes."""
    model = nn.Linear(in_features, K)
    nn.init.zeros_(model.weight)
    nn.init.zeros_(model.bias)
    return model


def test_a_model_that_knows_the_labels_codes_them_in_about_zero_bits():
    x, y = one_hot_task(300)
    code = prequential_codelength(knowing_model(), x, y, train=FROZEN, **OPTIONS)
    assert isinstance(code, Codelength)
    assert (code.blocks >= 0).all() and (code.blocks < 1e-9).all()
    assert 0 <= code.total < 1e-9
    assert float(code) == code.total


@pytest.mark.parametrize("first_block", ["model", "uniform"])
def test_a_model_that_cannot_learn_pays_log2_k_bits_per_label(first_block):
    x, y = blobs(300, seed=0)
    code = prequential_codelength(
        uniform_model(), x, y, first_block=first_block, train=FROZEN, **OPTIONS
    )
    n_per_block = np.diff(code.ends, prepend=0)
    assert code.total == pytest.approx(300 * math.log2(K), abs=1e-6)
    np.testing.assert_allclose(code.blocks, n_per_block * math.log2(K), rtol=0, atol=1e-9)


def test_a_uniform_first_block_costs_n0_log2_k_and_leaves_the_other_blocks_alone():
    x, y = blobs(200, seed=1)
    model = mlp(2, [16], K, seed=0)
    fractions = (0.1, 0.3, 0.6, 1.0)  # ends 20, 60, 120, 200
    by_model = prequential_codelength(model, x, y, fractions=fractions, **OPTIONS)
    uniform = prequential_codelength(
        model, x, y, fractions=fractions, first_block="uniform", **OPTIONS
    )
    assert uniform.blocks[0] == pytest.approx(20 * math.log2(K), abs=1e-9)
    np.testing.assert_array_equal(uniform.blocks[1:], by_model.blocks[1:])


def test_a_uniform_first_block_takes_k_from_the_model_not_from_its_labels():
    x, y = blobs(200, seed=1)
    y = y % 3  # the labels use 3 of the model's 4 classes
    code = prequential_codelength(mlp(2, [16], K, seed=0), x, y, fractions=(0.1, 1.0),
                                  first_block="uniform", **OPTIONS)
    assert code.blocks[0] == pytest.approx(20 * math.log2(K), abs=1e-9)  # not 20 log2 3


def test_each_block_is_coded_by_a_model_that_never_saw_its_labels():
    # one-hot inputs of the example's index: nothing generalizes from one example to another, so
    # each block costs about n_j log2 K bits; a model trained on its own block's labels (a leak
    # the tests of later examples cannot see) coded them for about 1.5 bits
    n = 256
    x = torch.eye(n)
    y = torch.randint(0, K, (n,), generator=torch.Generator().manual_seed(0))
    model = nn.Linear(n, K)
    nn.init.zeros_(model.weight), nn.init.zeros_(model.bias)
    train = BlockTraining(max_epochs=50, lr=0.1, patience=50, validation_fraction=0.0)
    code = prequential_codelength(model, x, y, train=train, fractions=(0.25, 0.5, 0.75, 1.0),
                                  **OPTIONS)
    assert code.blocks[0] == pytest.approx(64 * math.log2(K))  # the zero model: uniform
    assert (code.blocks[1:] > 0.9 * 64 * math.log2(K)).all()  # 128.0, 131.3, 129.5 bits


def test_two_models_of_different_dtypes_are_refused_with_a_clear_error():
    x, y = blobs(60, seed=1)
    a, b = mlp(2, [8], K, seed=0), mlp(2, [8], K, seed=1).double()
    with pytest.raises(ValueError, match="model_a and model_b must share one float dtype"):
        kl_prequential_codelength(a, b, x, fractions=(0.5, 1.0), **OPTIONS)
    with pytest.raises(ValueError, match="student and teacher must share one float dtype"):
        synced_distillation_codelengths(a, b, x, y, alphas=[0.5], fractions=(0.5, 1.0),
                                        **OPTIONS)


def test_untrained_blocks_match_a_per_example_reference():
    """With no training, every block is coded by the starting model: sum of -log2 p(y_i|x_i)."""
    x, y = blobs(200, seed=2)
    model = mlp(2, [16], K, seed=3)
    code = prequential_codelength(model, x, y, train=BlockTraining(max_epochs=0), **OPTIONS)
    reference = 0.0
    with torch.no_grad():
        for xi, yi in zip(x, y):
            p = torch.softmax(model(xi[None]).double(), dim=-1)[0, yi]
            reference -= math.log2(float(p))
    assert code.total == pytest.approx(reference, rel=1e-6)


def test_base_e_gives_nats():
    x, y = blobs(200, seed=3)
    model = mlp(2, [16], K, seed=0)
    options = {"train": BlockTraining(max_epochs=5), **OPTIONS}
    bits = prequential_codelength(model, x, y, **options)
    nats = prequential_codelength(model, x, y, base=math.e, **options)
    assert nats.total == pytest.approx(bits.total * math.log(2), rel=1e-12)
    np.testing.assert_allclose(nats.blocks, bits.blocks * math.log(2), rtol=1e-12)


def test_block_ends_follow_the_fractions_and_blocks_sum_to_the_total():
    x, y = blobs(1000, seed=4)
    code = prequential_codelength(uniform_model(), x, y, train=FROZEN, **OPTIONS)
    # 0.0625 x 1000 = 62.5 is rounded half to even
    np.testing.assert_array_equal(code.ends, [1, 2, 4, 8, 16, 32, 62, 125, 250, 500, 1000])
    assert len(code.blocks) == len(DEFAULT_FRACTIONS)
    assert code.blocks.sum() == pytest.approx(code.total, rel=1e-12)

    small = prequential_codelength(uniform_model(), x[:10], y[:10], train=FROZEN, **OPTIONS)
    np.testing.assert_array_equal(small.ends, [1, 2, 5, 10])  # 0.1..1.25 -> 1; 2.5 -> 2
    custom = prequential_codelength(
        uniform_model(), x[:7], y[:7], fractions=[0.5, 1.0], train=FROZEN, **OPTIONS
    )
    np.testing.assert_array_equal(custom.ends, [4, 7])  # 3.5 -> 4


def test_a_block_is_coded_without_looking_at_later_examples():
    x, y = blobs(200, seed=5)
    model = mlp(2, [16], K, seed=0)
    options = {"fractions": (0.1, 0.3, 0.6, 1.0), "train": BlockTraining(max_epochs=5), **OPTIONS}
    code = prequential_codelength(model, x, y, **options)
    x_changed, y_changed = x.clone(), y.clone()
    x_changed[120:] = torch.randn(80, 2)
    y_changed[120:] = (y[120:] + 1) % K
    changed = prequential_codelength(model, x_changed, y_changed, **options)
    np.testing.assert_array_equal(changed.blocks[:3], code.blocks[:3])
    assert changed.blocks[3] != code.blocks[3]


def test_early_stopping_keeps_the_best_state():
    """A learning rate of 1e6 wrecks the uniform model on random labels at the first step: early
    stopping keeps its starting state (log2 K bits per label); without it the code is longer."""
    x, y = blobs(200, seed=6, random_labels=True)
    fractions = (0.1, 0.2, 0.5, 1.0)  # every trained block has >= 20 earlier examples
    stopped = prequential_codelength(
        uniform_model(), x, y, fractions=fractions, train=BlockTraining(lr=1e6), **OPTIONS
    )
    assert stopped.total == pytest.approx(200 * math.log2(K), abs=1e-6)
    diverged = prequential_codelength(
        uniform_model(),
        x,
        y,
        fractions=fractions,
        train=BlockTraining(lr=1e6, validation_fraction=0.0),
        **OPTIONS,
    )
    assert diverged.total > 2 * stopped.total


def test_fit_early_stopping_learns_and_keeps_the_best_state():
    x, y = blobs(400, seed=7)
    model = mlp(2, [16], K, seed=0)
    fit_early_stopping(model, x, y, train=BlockTraining(max_epochs=20), seed=0, device="cpu")
    assert (model(x).argmax(1) == y).float().mean() > 0.95
    frozen = uniform_model()
    with pytest.warns(UntrainedModelWarning, match="kept the untrained model"):
        fit_early_stopping(frozen, x, y, train=BlockTraining(lr=1e6), seed=0, device="cpu")
    assert torch.equal(frozen.weight, torch.zeros_like(frozen.weight))  # the start was best
    with pytest.raises(TypeError, match="BlockTraining"):
        fit_early_stopping(model, x, y, train={"lr": 1e-3})
    with pytest.raises(ValueError, match="x and y must have the same length"):
        fit_early_stopping(model, x, y[:-1])


def test_min_first_block_raises_the_first_end_and_no_model_trains_on_fewer():
    x, y = blobs(800, seed=4)
    code = prequential_codelength(uniform_model(), x, y, train=FROZEN, min_first_block=10,
                                  **OPTIONS)
    # 1, 2, 3, 6, 13, 26, 50, ... at 800: the ends below 10 collapse into one first block of 10
    np.testing.assert_array_equal(code.ends, [10, 13, 26, 50, 100, 200, 400, 800])
    assert code.blocks.sum() == pytest.approx(code.total, rel=1e-12)
    with pytest.raises(ValueError, match="min_first_block must be below"):
        prequential_codelength(uniform_model(), x[:10], y[:10], min_first_block=10, **OPTIONS)
    with pytest.raises(ValueError, match="min_first_block"):
        prequential_codelength(uniform_model(), x, y, min_first_block=0, **OPTIONS)


def test_codes_log_each_blocks_training():
    x, y = blobs(300, seed=5)
    code = prequential_codelength(mlp(2, [16], K, seed=0), x, y,
                                  train=BlockTraining(max_epochs=4, patience=2), **OPTIONS)
    assert code.epochs[0] == code.best_epochs[0] == code.steps[0] == 0  # no model trained
    assert (code.epochs[1:] >= 1).all() and (code.epochs <= 4).all()
    assert (code.best_epochs <= code.epochs).all()
    # steps = epochs x ceil(training part / 64); training part = earlier examples - held out
    seen = code.ends[:-1]
    held_out = np.minimum(seen - 1, np.maximum(1, np.rint(0.1 * seen)))
    held_out[seen < 2] = 0
    np.testing.assert_array_equal(code.steps[1:], code.epochs[1:] * -(-(seen - held_out) // 64))


def test_min_steps_raises_the_epoch_cap_of_small_sets_only():
    train = BlockTraining(max_epochs=30, min_steps=200)
    assert train.epoch_cap(1) == 200 and train.epoch_cap(2) == 100 and train.epoch_cap(3) == 67
    assert train.epoch_cap(7) == 30 and train.epoch_cap(100) == 30
    assert BlockTraining(max_epochs=0, min_steps=200).epoch_cap(1) == 0
    assert BlockTraining().epoch_cap(1) == 30  # no floor by default
    with pytest.raises(ValueError, match="min_steps"):
        BlockTraining(min_steps=-1)
    # 50 examples (45 to train on: one step per epoch) and no early stopping: 200 epochs
    x, y = blobs(50, seed=8)
    log = fit_early_stopping(mlp(2, [8], K, seed=0), x, y, seed=0, device="cpu",
                             train=BlockTraining(max_epochs=30, min_steps=200,
                                                 validation_fraction=0.0, lr=1e-4))
    assert (log.epochs, log.best_epoch, log.steps) == (200, 200, 200)
    # patience still stops training: a wild learning rate stops 3 epochs after its best one
    log = fit_early_stopping(uniform_model(), x, y, seed=0, device="cpu",
                             train=BlockTraining(max_epochs=30, min_steps=200, lr=1e6))
    assert log.epochs == log.best_epoch + 3 < 200 and log.steps == log.epochs


def trained_on(x, y):
    model = mlp(2, [32], K, seed=0)
    fit(model, x, y, epochs=30, batch_size=32, lr=1e-2, optimizer="adam", progress=False)
    return model


def test_model_information_is_large_for_a_learnable_task():
    x_train, y_train = blobs(1000, seed=10)
    x, y = blobs(300, seed=11)
    information = model_information(
        mlp(2, [32], K, seed=0), trained_on(x_train, y_train), x, y, **OPTIONS
    )
    assert float(information) > 0.3 * 300 * math.log2(K)


def test_model_information_is_about_zero_for_random_labels():
    x_train, y_train = blobs(1000, seed=10, random_labels=True)
    x, y = blobs(300, seed=11, random_labels=True)
    information = model_information(
        mlp(2, [32], K, seed=0), trained_on(x_train, y_train), x, y, **OPTIONS
    )
    assert abs(float(information)) < 0.1 * 300 * math.log2(K)


def test_model_information_of_a_model_with_itself_is_zero():
    x, y = blobs(200, seed=12)
    model = mlp(2, [16], K, seed=0)
    assert float(model_information(model, model, x, y, **OPTIONS)) == 0.0


def test_model_information_holds_both_codes_and_is_cached(tmp_path):
    x, y = blobs(60, seed=13)
    init, trained = mlp(2, [8], K, seed=0), mlp(2, [8], K, seed=1)
    options = {"train": BlockTraining(max_epochs=2), **OPTIONS}
    result = model_information(init, trained, x, y, **options)
    assert isinstance(result, ModelInformation)
    from_init = prequential_codelength(init, x, y, **options)
    from_trained = prequential_codelength(trained, x, y, **options)
    assert float(result) == result.total == from_init.total - from_trained.total
    assert np.array_equal(result.from_trained.blocks, from_trained.blocks)
    calls = itertools.count()  # not a plain constant: not part of the unit's fingerprint

    def compute():
        next(calls)
        return result

    key = {"chapter": "test", "unit": "model information"}
    cached(key, compute, root=tmp_path)
    loaded = cached(key, compute, root=tmp_path)
    assert next(calls) == 1  # read back, not recomputed
    assert isinstance(loaded, ModelInformation) and float(loaded) == float(result)
    assert np.array_equal(loaded.from_init.ends, result.from_init.ends)


def dropout_mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, K))


@pytest.mark.parametrize("training", [True, False])
def test_the_callers_model_and_random_state_are_untouched(training):
    x, y = blobs(200, seed=7)
    model = dropout_mlp().train(training)
    before = copy.deepcopy(model.state_dict())
    rng_state = torch.get_rng_state()
    prequential_codelength(model, x, y, train=BlockTraining(max_epochs=3), **OPTIONS)
    for name, value in model.state_dict().items():
        assert torch.equal(value, before[name]), name
    assert all(module.training == training for module in model.modules())
    assert torch.equal(torch.get_rng_state(), rng_state)


def test_the_same_seed_gives_the_same_number():
    x, y = blobs(200, seed=8)
    options = {"train": BlockTraining(max_epochs=5), **OPTIONS}
    first = prequential_codelength(dropout_mlp(), x, y, seed=3, **options)
    torch.manual_seed(123)  # the global random state does not matter
    again = prequential_codelength(dropout_mlp(), x, y, seed=3, **options)
    other = prequential_codelength(dropout_mlp(), x, y, seed=4, **options)
    assert again.total == first.total
    np.testing.assert_array_equal(again.blocks, first.blocks)
    assert other.total != first.total


class OneLogit(nn.Module):
    def forward(self, x):
        return x[:, :1]


def test_bad_input_is_rejected():
    x, y = blobs(20, seed=9)
    model = mlp(2, [4], K, seed=0)

    def code(**changes):
        arguments = {"model": model, "x": x, "y": y, **OPTIONS, **changes}
        return prequential_codelength(
            arguments.pop("model"), arguments.pop("x"), arguments.pop("y"), **arguments
        )

    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        code(model=lambda inputs: inputs)
    with pytest.raises(TypeError, match="x must be a torch.Tensor or numpy array"):
        code(x=x.tolist())
    with pytest.raises(ValueError, match=r"at least 2 input\(s\)"):
        code(x=x[:0], y=y[:0])
    with pytest.raises(ValueError, match=r"at least 2 input\(s\)"):
        code(x=x[:1], y=y[:1])
    x_nan = x.clone()
    x_nan[3, 1] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        code(x=x_nan)
    with pytest.raises(ValueError, match=r"y must have shape \(20,\)"):
        code(y=y[:19])
    with pytest.raises(TypeError, match="y must hold integer labels"):
        code(y=y.float())
    with pytest.raises(ValueError, match=r"0\.\.3 \(the model has K = 4"):
        code(y=y + 1)
    with pytest.raises(ValueError, match="K >= 2"):
        code(model=OneLogit())
    with pytest.raises(ValueError, match="2-D logits"):
        code(model=nn.Flatten(0))

    with pytest.raises(ValueError, match="strictly increasing"):
        code(fractions=(0.5, 0.5, 1.0))
    with pytest.raises(ValueError, match=r"end with 1\.0"):
        code(fractions=(0.25, 0.5))
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        code(fractions=(0.0, 1.0))
    with pytest.raises(ValueError, match="non-empty"):
        code(fractions=())
    with pytest.raises(TypeError, match="fractions must be a sequence"):
        code(fractions=("a", 1.0))
    with pytest.raises(ValueError, match="first_block must be one of"):
        code(first_block="both")
    for base in (1, 0, -2.0, 0.5, math.inf, math.nan):
        with pytest.raises(ValueError, match="base must be a finite number > 1"):
            code(base=base)
    with pytest.raises(TypeError, match="train must be a BlockTraining"):
        code(train={"lr": 1e-3})
    with pytest.raises(TypeError, match="seed must be an int"):
        code(seed=0.5)

    with pytest.raises(ValueError, match="patience must be an int >= 1"):
        BlockTraining(patience=0)
    with pytest.raises(ValueError, match="max_epochs must be an int >= 0"):
        BlockTraining(max_epochs=-1)
    with pytest.raises(TypeError, match="max_epochs must be an int"):
        BlockTraining(max_epochs=2.5)
    with pytest.raises(ValueError, match="lr must be"):
        BlockTraining(lr=-1e-3)
    with pytest.raises(ValueError, match=r"validation_fraction must be < 1"):
        BlockTraining(validation_fraction=1.0)


class NaNWhereLarge(nn.Module):
    """A linear model whose logits are NaN for the inputs whose first coordinate exceeds 100."""

    def __init__(self, in_features=2):
        super().__init__()
        self.linear = nn.Linear(in_features, K)

    def forward(self, x):
        return torch.where(x[:, :1] > 100, math.nan, self.linear(x))


def test_non_finite_logits_raise_naming_the_input():
    x, y = blobs(200, seed=13)
    x[17, 0] = 1000.0  # in the block ending at 25, coded by a model trained on x[:12]
    options = {"train": BlockTraining(max_epochs=1), **OPTIONS}
    with pytest.raises(ValueError, match=r"block 5 .*x\[:12\].* logits for input 17 \(x\[17\]\)"):
        prequential_codelength(NaNWhereLarge(), x, y, **options)
    with pytest.raises(ValueError, match=r"input 17 \(x\[17\]\)"):
        kl_prequential_codelength(NaNWhereLarge(), mlp(2, [4], K, seed=0), x, **options)
    with pytest.raises(ValueError, match=r"model_b gives NaN or infinite logits for input 17"):
        kl_prequential_codelength(mlp(2, [4], K, seed=0), NaNWhereLarge(), x, **options)
    x[0, 0] = 1000.0
    with pytest.raises(ValueError, match=r"for input 0 \(x\[0\]\)"):
        prequential_codelength(NaNWhereLarge(), x, y, **options)


def batch_norm_mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, K))


def test_models_with_batch_norm_are_coded_and_left_untouched():
    """The first blocks train on 1, 2, 3, ... examples: a batch-norm model never sees a training
    batch of one (infolib.train.fit), so it codes the labels and learns them."""
    x, y = blobs(200, seed=14)
    model = batch_norm_mlp()
    before = copy.deepcopy(model.state_dict())
    train = BlockTraining(max_epochs=10, lr=1e-2)
    code = prequential_codelength(model, x, y, train=train, **OPTIONS)
    assert np.isfinite(code.blocks).all()
    assert code.total < 0.8 * 200 * math.log2(K)  # the uniform code costs 2 bits per label
    assert all(torch.equal(value, before[name]) for name, value in model.state_dict().items())
    kl = kl_prequential_codelength(model, copy.deepcopy(model), x, train=train, **OPTIONS)
    assert kl.total == pytest.approx(0.0, abs=1e-6)


def test_a_kl_code_between_models_without_parameters_is_zero():
    """Two fixed models (no parameters, nothing to train) that agree: KL 0 in every block."""
    x = torch.randn(50, K)
    kl = kl_prequential_codelength(nn.Identity(), nn.Identity(), x, **OPTIONS)
    np.testing.assert_allclose(kl.blocks, 0.0, atol=1e-9)


def test_the_kl_sum_keeps_a_small_term_beside_a_huge_one():
    """The per-example KLs are summed in float64: 1e8 nats + 0.313 nats (a float32 sum drops
    the second: its spacing at 1e8 is 8)."""
    scores = torch.tensor([[0.0, -1e8], [0.0, -1.0]])  # exact in float32
    p = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    small = math.log1p(math.exp(-1.0))  # KL([1, 0] || softmax([0, -1])) = log(1 + e^-1)
    assert abs(_sum_kl(nn.Identity(), scores, p) - (1e8 + small)) < 1e-6


def test_model_information_needs_the_same_architecture():
    x, y = blobs(100, seed=15)
    with pytest.raises(ValueError, match="same architecture"):  # another number of classes
        model_information(mlp(2, [8], K, seed=0), mlp(2, [8], 10, seed=0), x, y, **OPTIONS)
    with pytest.raises(ValueError, match="same architecture"):  # the same classes, other widths
        model_information(mlp(2, [8], K, seed=0), mlp(2, [16], K, seed=0), x, y, **OPTIONS)


def test_numpy_scalars_are_accepted_and_give_the_same_code():
    x, y = blobs(100, seed=16)
    train = BlockTraining(
        max_epochs=np.int64(3), batch_size=np.int32(16), lr=np.float64(1e-3),
        patience=np.int64(2), validation_fraction=np.float64(0.2),
    )
    assert train == BlockTraining(3, 16, 1e-3, 2, 0.2) and type(train.max_epochs) is int
    model = mlp(2, [8], K, seed=0)
    plain = prequential_codelength(model, x, y, train=train, base=2, seed=3, **OPTIONS)
    numpy = prequential_codelength(
        model, x, y, train=train, base=np.float64(2), seed=np.int64(3), **OPTIONS
    )
    assert numpy.total == plain.total


def test_inputs_that_require_grad_are_left_alone():
    x, y = blobs(100, seed=17)
    x.requires_grad_(True)
    train = BlockTraining(max_epochs=2)
    prequential_codelength(mlp(2, [8], K, seed=0), x, y, train=train, **OPTIONS)
    kl_prequential_codelength(mlp(2, [8], K, seed=0), mlp(2, [8], K, seed=1), x, train=train,
                              **OPTIONS)
    assert x.grad is None


# --------------------------------------------------------------------------------------------
# kl_prequential_codelength: L'(f_B | f_A), eq. (6) of the information-distance paper
# --------------------------------------------------------------------------------------------


def direct_kl_bits(model_a, model_b, x):
    """sum_i KL(f_B(x_i) || f_A(x_i)) in bits, computed directly."""
    with torch.no_grad():
        p = torch.softmax(model_b(x).double(), 1)
        log_q = torch.log_softmax(model_a(x).double(), 1)
    return float((p * (p.log() - log_q)).sum() / math.log(2))


def test_kl_code_of_a_network_with_itself_is_zero():
    x, _ = blobs(300, seed=20)
    model = mlp(2, [16], K, seed=1)
    code = kl_prequential_codelength(model, copy.deepcopy(model), x, **OPTIONS)
    assert code.total == pytest.approx(0.0, abs=1e-6)


def test_frozen_kl_code_is_the_summed_kl_of_the_two_outputs():
    x, _ = blobs(300, seed=21)
    model_a, model_b = mlp(2, [16], K, seed=1), mlp(2, [16], K, seed=2)
    code = kl_prequential_codelength(model_a, model_b, x, train=FROZEN, **OPTIONS)
    assert code.total == pytest.approx(direct_kl_bits(model_a, model_b, x), rel=1e-6)
    assert np.all(code.blocks >= 0) and code.blocks.sum() == pytest.approx(code.total)


def test_kl_code_learns_the_other_network_and_leaves_both_untouched():
    x_train, y_train = blobs(1000, seed=22)
    model_b = trained_on(x_train, y_train)
    model_a = mlp(2, [32], K, seed=5)
    before_a, before_b = copy.deepcopy(model_a.state_dict()), copy.deepcopy(model_b.state_dict())
    x, _ = blobs(500, seed=23)
    frozen = kl_prequential_codelength(model_a, model_b, x, train=FROZEN, **OPTIONS)
    learned = kl_prequential_codelength(model_a, model_b, x, **OPTIONS)
    assert learned.total < 0.5 * frozen.total
    for before, model in ((before_a, model_a), (before_b, model_b)):
        for name, value in model.state_dict().items():
            assert torch.equal(value, before[name])


def test_kl_code_of_a_block_never_sees_later_inputs():
    """Each block is coded by a model trained on the blocks before it only: replacing the inputs
    of the last block changes the last block's cost and no other (no leakage from the future)."""
    x_train, y_train = blobs(600, seed=24)
    model_b = trained_on(x_train, y_train)
    model_a = mlp(2, [16], K, seed=6)
    x, _ = blobs(200, seed=25)
    options = {"train": BlockTraining(max_epochs=3), "seed": 2, **OPTIONS}
    code = kl_prequential_codelength(model_a, model_b, x, **options)
    last_start = int(code.ends[-2])
    changed_x = x.clone()
    changed_x[last_start:] = blobs(len(x) - last_start, seed=26)[0]
    changed = kl_prequential_codelength(model_a, model_b, changed_x, **options)
    np.testing.assert_array_equal(changed.blocks[:-1], code.blocks[:-1])
    assert changed.blocks[-1] != code.blocks[-1]


def test_kl_code_rejects_bad_input():
    x, _ = blobs(50, seed=24)
    with pytest.raises(ValueError, match="classes"):
        kl_prequential_codelength(mlp(2, [4], 3, seed=0), mlp(2, [4], K, seed=0), x, **OPTIONS)
    with pytest.raises(TypeError, match="model_b"):
        kl_prequential_codelength(mlp(2, [4], K, seed=0), "f_B", x, **OPTIONS)
    with pytest.raises(ValueError, match="at least 2"):
        kl_prequential_codelength(mlp(2, [4], K), mlp(2, [4], K), x[:1], **OPTIONS)


def test_similarities_follow_eq_4_and_5():
    # identical domains: L(M_A, B) = L(M_A, A) = L(M_B, B) -> S = S_uni = 1
    assert information_similarity(700.0, 700.0, 700.0) == pytest.approx(1.0)
    assert unidirectional_similarity(700.0, 700.0) == pytest.approx(1.0)
    # nothing in common -> 0; half of a domain inside a broad one: S_uni differs by direction
    assert information_similarity(0.0, 500.0, 300.0) == 0.0
    assert information_similarity(300.0, 1_000.0, 300.0) == pytest.approx(300 / 1_000)
    assert unidirectional_similarity(300.0, 300.0) == 1.0  # B (narrow) inside A: all of B known
    assert unidirectional_similarity(150.0, 1_000.0) == pytest.approx(0.15)
    # Jaccard of two sets of 6 and 4 "bits" sharing 2: 2 / 8
    assert information_similarity(2.0, 6.0, 4.0) == pytest.approx(2 / 8)
    with pytest.raises(ValueError, match="l_aa"):
        information_similarity(1.0, 0.0, 5.0)
    with pytest.raises(ValueError, match="inconsistent"):
        information_similarity(20.0, 5.0, 5.0)
    with pytest.raises(ValueError, match="l_bb"):
        unidirectional_similarity(1.0, -2.0)
    with pytest.raises(ValueError):
        information_similarity(float("nan"), 1.0, 1.0)


def test_reset_parameters_resets_the_component_only_and_refuses_unknown_names():
    init = mlp(2, [8, 8], K, seed=0)
    trained = copy.deepcopy(init)
    fit(trained, *blobs(200, seed=30), epochs=3, batch_size=32, lr=1e-2, optimizer="adam",
        progress=False)
    names = [n for n, _ in init.named_parameters()]
    first = names[0].rsplit(".", 1)[0]  # the module holding the first weight and bias
    before = copy.deepcopy(trained.state_dict())
    ablated = reset_parameters(trained, init, [first])
    for name, value in ablated.state_dict().items():
        source = init if name.startswith(first + ".") else trained
        assert torch.equal(value, source.state_dict()[name]), name
    assert sum(name.startswith(first + ".") for name in ablated.state_dict()) == 2
    assert component_entries(init, first) == [f"{first}.weight", f"{first}.bias"]
    for name, value in trained.state_dict().items():  # the caller's model is untouched
        assert torch.equal(value, before[name])
    with pytest.raises(ValueError, match="match no entry"):
        reset_parameters(trained, init, ["no_such_layer"])
    with pytest.raises(ValueError, match="same architecture"):
        reset_parameters(trained, mlp(2, [8], K, seed=0), [first])


def test_reset_parameters_keeps_batch_norm_statistics_unless_asked():
    """The paper resets "all parameters" of C: running statistics are buffers, not parameters,
    and keep their trained values; buffers=True resets them too (everything -> the init)."""
    init = nn.Sequential(nn.Linear(2, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, K))
    trained = copy.deepcopy(init)
    fit(trained, *blobs(200, seed=33), epochs=3, batch_size=32, lr=1e-2, optimizer="adam",
        progress=False)
    assert not torch.equal(trained[1].running_mean, init[1].running_mean)  # statistics moved
    ablated = reset_parameters(trained, init, ["0", "1"])
    for name in ("0.weight", "0.bias", "1.weight", "1.bias"):
        assert torch.equal(ablated.state_dict()[name], init.state_dict()[name]), name
    for name in ("1.running_mean", "1.running_var", "1.num_batches_tracked"):
        assert torch.equal(ablated.state_dict()[name], trained.state_dict()[name]), name
    everything = reset_parameters(trained, init, ["0", "1", "3"], buffers=True)
    for name, value in everything.state_dict().items():
        assert torch.equal(value, init.state_dict()[name]), name
    with pytest.raises(ValueError, match="no parameter"):
        reset_parameters(trained, init, ["1.running_mean"])


def test_ablating_everything_is_the_model_information_and_nothing_is_zero():
    x_train, y_train = blobs(600, seed=31)
    init = mlp(2, [16], K, seed=0)
    trained = copy.deepcopy(init)
    fit(trained, x_train, y_train, epochs=20, batch_size=32, lr=1e-2, optimizer="adam",
        progress=False)
    x, y = blobs(300, seed=32)
    options = {"train": BlockTraining(max_epochs=5), "seed": 3, **OPTIONS}
    everything = [n for n, _ in init.named_parameters()]
    frozen_out = copy.deepcopy(trained)  # a model whose "first layer" equals the init's
    frozen_out.load_state_dict(reset_parameters(trained, init, everything[:2]).state_dict())
    result = information_ablation(init, frozen_out, {"all": everything, "first": everything[:2]},
                                  x, y, **options)
    reference = model_information(init, frozen_out, x, y, **options)
    assert float(result["all"]) == pytest.approx(float(reference), rel=1e-9)
    assert float(result["first"]) == 0.0  # those weights already are at their initial values
    assert result["all"].from_trained is result["first"].from_trained  # one shared code
    with pytest.raises(ValueError, match="match no entry"):
        information_ablation(init, trained, {"bad": ["nope"]}, x, y, **options)


def test_step_floor_training_matches_the_largest_blocks_cap():
    # k = 2,500: the last block's 1,250 earlier examples less 125 held out -> 18 steps x 30
    assert step_floor_training(2_500).min_steps == 30 * 18
    assert step_floor_training(800).min_steps == 30 * 6  # 400 - 40 -> 6 steps per epoch
    floor = step_floor_training(800, max_epochs=10, batch_size=32, lr=1e-2)
    assert (floor.min_steps, floor.max_epochs, floor.lr) == (10 * 12, 10, 1e-2)
    # the largest block's own cap is unchanged by the floor; a block of 20 may take 180 epochs
    assert step_floor_training(800).epoch_cap(6) == 30
    assert step_floor_training(800).epoch_cap(1) == 180
    with pytest.raises(ValueError, match="k"):
        step_floor_training(1)


SPREAD = 2.0  # the blobs of the distillation tests overlap: labels alone are a noisy signal


def overlapping_blobs(n, seed):
    """The four blob centres with standard deviation SPREAD: p(y | x) is far from one-hot."""
    generator = torch.Generator().manual_seed(seed)
    centers = 3.0 * torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    y = torch.randint(0, K, (n,), generator=generator)
    return centers[y] + SPREAD * torch.randn(n, 2, generator=generator), y


class BayesTeacher(nn.Module):
    """The Bayes posterior of :func:`overlapping_blobs` as logits, -|x - c_k|^2 / (2 SPREAD^2),
    with no trainable weights: it knows p(y | x) from the start and training leaves it alone."""

    def forward(self, x):
        centers = 3.0 * torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
        return -((x[:, None, :] - centers) ** 2).sum(-1) / (2 * SPREAD**2)


SYNCED = {"fractions": (0.05, 0.1, 0.2, 0.4, 1.0), "train": BlockTraining(max_epochs=8),
          **OPTIONS}


def test_synced_distillation_at_alpha_0_is_the_students_plain_code():
    """alpha = 0: the student trains on the labels alone, exactly as in the prequential code;
    the teacher's code is its own prequential code."""
    x, y = blobs(300, seed=11)
    student, teacher = mlp(2, [8], K, seed=0), mlp(2, [32, 32], K, seed=1)
    teacher_train = BlockTraining(max_epochs=5, lr=3e-3)
    synced = synced_distillation_codelengths(student, teacher, x, y, alphas=(0.0, 0.5),
                                             teacher_train=teacher_train, **SYNCED)
    plain = prequential_codelength(student, x, y, **SYNCED)
    np.testing.assert_allclose(synced.student(0.0).blocks, plain.blocks, rtol=1e-12)
    np.testing.assert_array_equal(synced.student(0.0).steps, plain.steps)
    teacher_alone = prequential_codelength(teacher, x, y, **{**SYNCED, "train": teacher_train})
    np.testing.assert_allclose(synced.teacher.blocks, teacher_alone.blocks, rtol=1e-12)
    assert synced.student(0.5).total != plain.total  # the teacher changed the student's code
    assert synced.alphas == (0.0, 0.5)
    with pytest.raises(KeyError, match="0.3"):
        synced.student(0.3)


def test_a_teacher_that_knows_the_task_shortens_the_students_code():
    """The Bayes teacher's soft labels carry p(y | x), which the hard labels give only through
    many noisy draws: distilling from it codes the labels in fewer bits than the labels alone,
    more so the more weight they get; the teacher itself codes them at the Bayes rate."""
    x, y = overlapping_blobs(400, seed=12)
    options = {**SYNCED, "train": BlockTraining(max_epochs=20, lr=1e-2, min_steps=100)}
    synced = synced_distillation_codelengths(mlp(2, [8], K, seed=0), BayesTeacher(), x, y,
                                             alphas=(0.0, 0.5, 0.9), temperature=1.0, **options)
    codes = [synced.student(alpha).total for alpha in (0.0, 0.5, 0.9)]
    assert codes[0] > codes[1] > codes[2] and codes[0] - codes[2] > 10  # bits saved
    bayes_bits = cross_entropy_sum(BayesTeacher(), x, y) / math.log(2)
    assert synced.teacher.total == pytest.approx(bayes_bits, rel=1e-9)
    assert synced.teacher.total < codes[2]


def test_synced_distillation_never_lets_a_label_reach_an_earlier_block():
    """Changing the labels of the last block changes no earlier block's code, the teacher's or
    the students'."""
    x, y = blobs(200, seed=13)
    student, teacher = mlp(2, [8], K, seed=0), mlp(2, [16], K, seed=1)
    options = {**SYNCED, "alphas": (0.0, 0.7)}
    code = synced_distillation_codelengths(student, teacher, x, y, **options)
    y_changed = y.clone()
    y_changed[80:] = (y[80:] + 1) % K
    changed = synced_distillation_codelengths(student, teacher, x, y_changed, **options)
    for before, after in zip((code.teacher, *code.students), (changed.teacher, *changed.students)):
        np.testing.assert_array_equal(after.blocks[:-1], before.blocks[:-1])
        assert after.blocks[-1] != before.blocks[-1]


def test_synced_distillation_rejects_bad_input():
    x, y = blobs(50, seed=14)
    student = mlp(2, [8], K, seed=0)
    for alphas in ((), (1.5,), (0.1, 0.1), 0.5, "0.5"):
        with pytest.raises((ValueError, TypeError)):
            synced_distillation_codelengths(student, student, x, y, alphas=alphas, **OPTIONS)
    with pytest.raises(ValueError, match="temperature"):
        synced_distillation_codelengths(student, student, x, y, alphas=(0.5,), temperature=0,
                                        **OPTIONS)
    with pytest.raises(ValueError, match="classes"):
        synced_distillation_codelengths(student, mlp(2, [8], K + 1, seed=0), x, y,
                                        alphas=(0.5,), **OPTIONS)


def test_synced_distillation_takes_a_numpy_array_of_coefficients():
    x, y = blobs(40, seed=16)
    student, teacher = mlp(2, [8], K, seed=0), mlp(2, [8], K, seed=1)
    as_tuple = synced_distillation_codelengths(student, teacher, x, y, alphas=(0.0, 0.5),
                                               **OPTIONS)
    as_array = synced_distillation_codelengths(student, teacher, x, y,
                                               alphas=np.array([0.0, 0.5]), **OPTIONS)
    assert as_array.alphas == as_tuple.alphas
    assert [c.total for c in as_array.students] == [c.total for c in as_tuple.students]
    with pytest.raises(ValueError, match="alphas"):
        synced_distillation_codelengths(student, teacher, x, y, alphas=np.zeros((2, 2)),
                                        **OPTIONS)


def test_step_floor_options_are_the_code_arguments_with_the_floor():
    options = step_floor_options(800, min_first_block=10, max_epochs=12, seed=3, device="cpu")
    assert options == {"train": step_floor_training(800, min_first_block=10, max_epochs=12),
                       "min_first_block": 10, "seed": 3, "device": "cpu", "progress": False}
