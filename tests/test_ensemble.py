"""Seeds trained together against separate fit calls: the slow reference is infolib.train.fit."""

import pytest
import torch
from torch import nn

from infolib.data import checkerboard
from infolib.ensemble import fit_together
from infolib.models import mlp
from infolib.train import accuracy, fit

SMALL_FC = (10, 7, 5, 4, 3)
SEEDS = [0, 1, 5]


def networks(seeds=SEEDS, hidden=SMALL_FC, **kwargs):
    return [mlp(6, hidden, 2, seed=seed, **kwargs) for seed in seeds]


def max_difference(models_a, models_b):
    return max(
        (p - q).abs().max().item()
        for a, b in zip(models_a, models_b)
        for p, q in zip(a.parameters(), b.parameters(), strict=True)
    )


OPTIMIZERS = {
    "sgd": dict(optimizer="sgd", lr=0.05, momentum=0.9, weight_decay=1e-3, lr_decay=0.9),
    "adam": dict(optimizer="adam", lr=0.01, weight_decay=1e-3, lr_decay=0.9),
}


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("per_model_data", [False, True])
def test_twenty_steps_equal_separate_fit(optimizer, per_model_data):
    # 150 examples in batches of 16: 9 full batches and one of 6 per epoch, 2 epochs = 20 steps
    data = [checkerboard(2, 150, seed=10 + seed) for seed in SEEDS]
    if per_model_data:
        x, y = [d.x for d in data], [d.direction for d in data]
    else:
        x, y = [data[0].x] * len(SEEDS), [data[0].direction] * len(SEEDS)
    settings = dict(epochs=2, batch_size=16, device="cpu", progress=False,
                    **OPTIMIZERS[optimizer])
    separate, together = networks(), networks()
    for model, seed, x_s, y_s in zip(separate, SEEDS, x, y):
        fit(model, x_s, y_s, seed=seed, **settings)
    fit_together(together, x if per_model_data else x[0], y if per_model_data else y[0],
                 seeds=SEEDS, **settings)
    assert max_difference(separate, together) < 1e-5
    assert max_difference(together, networks()) > 0.01, "the networks were trained"
    assert max_difference(together[:1], together[1:2]) > 0.01, "each seed its own network"
    assert all(not model.training for model in together)


def test_a_short_run_reaches_the_same_accuracies():
    data, test = checkerboard(2, 1000, seed=0), checkerboard(2, 1000, seed=1)
    settings = dict(epochs=6, batch_size=32, lr=0.05, momentum=0.9, device="cpu", progress=False)
    separate, together = networks(hidden=(16, 8)), networks(hidden=(16, 8))
    for model, seed in zip(separate, SEEDS):
        fit(model, data.x, data.direction, seed=seed, **settings)
    fit_together(together, data.x, data.direction, seeds=SEEDS, **settings)
    for a, b in zip(separate, together):
        assert accuracy(a, test.x, test.direction) == pytest.approx(
            accuracy(b, test.x, test.direction), abs=1e-3
        )
    assert min(accuracy(b, test.x, test.direction) for b in together) > 0.9, "they learned"


def test_callbacks_see_each_model_as_fit_shows_it():
    data = checkerboard(2, 100, seed=0)
    settings = dict(epochs=3, batch_size=25, lr=0.05, momentum=0.9, start_epoch=4,
                    device="cpu", progress=False)

    def callback(epoch, model):
        bias = float(model[0].bias.detach().sum())
        return epoch, model.training, accuracy(model, data.x, data.direction), bias

    expected = [fit(model, data.x, data.direction, seed=seed, callback=callback, **settings)
                for model, seed in zip(networks(), SEEDS)]
    shared = fit_together(networks(), data.x, data.direction, seeds=SEEDS, callback=callback,
                          **settings)
    kept = [[] for _ in SEEDS]
    one_each = [lambda epoch, model, s=s: kept[s].append(callback(epoch, model))
                for s in range(len(SEEDS))]
    assert fit_together(networks(), data.x, data.direction, seeds=SEEDS, callback=one_each,
                        **settings) == [[], [], []]  # None is not recorded
    for records in (shared, kept):
        assert [[r[:3] for r in rs] for rs in records] == [[r[:3] for r in rs] for rs in expected]
        assert [r[0] for r in records[0]] == [4, 5, 6, 7]
        for rs, es in zip(records, expected):
            assert all(abs(r[3] - e[3]) < 1e-5 for r, e in zip(rs, es))


def test_what_a_callback_changes_is_trained_on():
    data = checkerboard(2, 64, seed=0)

    def zero_first_layer(epoch, model):
        with torch.no_grad():
            model[0].weight.zero_()

    settings = dict(epochs=2, batch_size=16, lr=0.05, callback=zero_first_layer, device="cpu",
                    progress=False)
    separate, together = networks(), networks()
    for model, seed in zip(separate, SEEDS):
        fit(model, data.x, data.direction, seed=seed, **settings)
    fit_together(together, data.x, data.direction, seeds=SEEDS, **settings)
    assert max_difference(separate, together) < 1e-5


def test_other_activations_nested_sequentials_and_zero_epochs():
    data = checkerboard(2, 80, seed=0)
    settings = dict(epochs=1, batch_size=16, lr=0.1, device="cpu", progress=False)
    for activation in ("tanh", "leaky_relu"):
        separate, together = networks(activation=activation), networks(activation=activation)
        for model, seed in zip(separate, SEEDS):
            fit(model, data.x, data.direction, seed=seed, **settings)
        fit_together(together, data.x, data.direction, seeds=SEEDS, **settings)
        assert max_difference(separate, together) < 1e-5
    nested = [nn.Sequential(nn.Sequential(m[0], m[1]), *m[2:]) for m in networks()]
    flat = networks()
    fit_together(nested, data.x, data.direction, seeds=SEEDS, **settings)
    fit_together(flat, data.x, data.direction, seeds=SEEDS, **settings)
    assert max_difference(nested, flat) == 0
    untouched = networks()
    fit_together(untouched, data.x, data.direction, seeds=SEEDS, **{**settings, "epochs": 0})
    assert max_difference(untouched, networks()) == 0


def test_rejects_mismatched_architectures_and_unsupported_layers():
    data = checkerboard(2, 20, seed=0)
    x, y = data.x, data.direction

    def train(models, **kwargs):
        settings = dict(epochs=1, batch_size=4, lr=0.1, seeds=[0] * len(models), device="cpu",
                        progress=False)
        fit_together(models, x, y, **{**settings, **kwargs})

    with pytest.raises(ValueError, match="one architecture: models\\[1\\]"):
        train([mlp(6, (4,), 2, seed=0), mlp(6, (5,), 2, seed=1)])
    with pytest.raises(ValueError, match="one architecture"):
        train([mlp(6, (4,), 2), mlp(6, (4,), 2, activation="tanh")])
    with pytest.raises(ValueError, match="one architecture"):
        train([mlp(6, (4,), 2), mlp(6, (4,), 2).double()])
    with_batch_norm = nn.Sequential(nn.Linear(6, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    with pytest.raises(ValueError, match="fit_together does not support BatchNorm1d"):
        train([with_batch_norm])
    with pytest.raises(ValueError, match="does not support Dropout"):
        train([nn.Sequential(nn.Linear(6, 4), nn.Dropout(0.5), nn.ReLU(), nn.Linear(4, 2))])

    class Custom(nn.Sequential):  # a subclass may change forward
        pass

    with pytest.raises(ValueError, match="does not support Custom"):
        train([Custom(nn.Linear(6, 2))])
    model = mlp(6, (4,), 2)
    with pytest.raises(ValueError, match="appears twice"):
        train([model, model])
    linear = nn.Linear(6, 6)
    with pytest.raises(ValueError, match="appears twice"):
        train([nn.Sequential(linear, nn.ReLU(), linear, nn.Linear(6, 2))])
    frozen = mlp(6, (4,), 2)
    frozen[0].weight.requires_grad_(False)
    with pytest.raises(ValueError, match="frozen parameters.*0.weight"):
        train([frozen])
    with pytest.raises(ValueError, match="no Linear layer"):
        train([nn.Sequential(nn.ReLU())])
    with pytest.raises(ValueError, match="x must be 2-D \\(samples, 5 features\\)"):
        train([mlp(5, (4,), 2)])


def test_rejects_bad_arguments():
    data = checkerboard(2, 20, seed=0)
    x, y = data.x, data.direction
    settings = dict(epochs=1, batch_size=4, lr=0.1, device="cpu", progress=False)
    with pytest.raises(ValueError, match="models and seeds must have the same length"):
        fit_together(networks(), x, y, seeds=[0, 1], **settings)
    with pytest.raises(TypeError, match="seeds\\[1\\] must be an int"):
        fit_together(networks(), x, y, seeds=[0, 1.0, 2], **settings)
    with pytest.raises(ValueError, match="models is empty"):
        fit_together([], x, y, seeds=[], **settings)
    with pytest.raises(TypeError, match="models must be a list"):
        fit_together(mlp(6, (4,), 2), x, y, seeds=[0], **settings)
    with pytest.raises(ValueError, match="x and y must have the same length"):
        fit_together(networks(), x, y[:10], seeds=SEEDS, **settings)
    with pytest.raises(ValueError, match="same number of examples for every model"):
        fit_together(networks(), [x, x, x[:10]], [y, y, y[:10]], seeds=SEEDS, **settings)
    with pytest.raises(ValueError, match="x and models must have the same length"):
        fit_together(networks(), [x, x], y, seeds=SEEDS, **settings)
    with pytest.raises(ValueError, match="x is empty"):
        fit_together(networks(), x[:0], y[:0], seeds=SEEDS, **settings)
    with pytest.raises(ValueError, match="optimizer"):
        fit_together(networks(), x, y, seeds=SEEDS, **{**settings, "optimizer": "rmsprop"})
    with pytest.raises(ValueError, match="batch_size"):
        fit_together(networks(), x, y, seeds=SEEDS, **{**settings, "batch_size": 0})
    with pytest.raises(ValueError, match="callback and models must have the same length"):
        fit_together(networks(), x, y, seeds=SEEDS, callback=[print], **settings)
    with pytest.raises(TypeError, match="callback must be None, a callable or a list"):
        fit_together(networks(), x, y, seeds=SEEDS, callback=3, **settings)


def test_callbacks_draw_random_numbers_as_under_fit_and_the_callers_generator_is_kept():
    # a callback that draws (a random subsample, a noisy estimate) saw the caller's generator,
    # whatever ran before, and left it advanced
    x, y = torch.randn(30, 4), torch.randint(0, 3, (30,))
    options = dict(epochs=3, batch_size=8, lr=0.1, device="cpu", progress=False)

    def draw(epoch, model):
        return torch.rand(2).tolist()

    expected = [fit(mlp(4, [5], 3, seed=s), x, y, seed=s, callback=draw, **options)
                for s in (3, 7)]
    torch.manual_seed(123)
    before = torch.get_rng_state()
    got = fit_together([mlp(4, [5], 3, seed=s) for s in (3, 7)], x, y, seeds=[3, 7],
                       callback=draw, **options)
    assert got == expected
    assert torch.equal(torch.get_rng_state(), before)


def test_fit_together_refuses_what_fit_refuses():
    x, y = torch.randn(30, 4), torch.randint(0, 3, (30,))
    options = dict(epochs=1, batch_size=8, lr=0.1, device="cpu", progress=False)
    models = [mlp(4, [5], 3, seed=s) for s in (0, 1)]
    ignored = y.clone()
    ignored[:4] = -100  # fit left these out of its mean, fit_together divided by the batch
    with pytest.raises(ValueError, match="class indices >= 0"):
        fit_together(models, x, ignored, seeds=[0, 1], **options)
    nan = x.clone()
    nan[0, 0] = float("nan")
    with pytest.raises(ValueError, match="x contains NaN"):
        fit_together(models, [x, nan], [y, y], seeds=[0, 1], **options)
    with pytest.raises(ValueError, match="momentum is SGD's"):
        fit_together(models, x, y, seeds=[0, 1], optimizer="adam", momentum=0.9, **options)
    with pytest.raises(ValueError, match=r"seeds\[1\] must be an int >= 0"):
        fit_together(models, x, y, seeds=[0, -1], **options)
