"""Re-parameterizations keep the function and change the parameters; perturbations have the
documented size; interpolation hits both ends; inputs are never modified; bad input is refused."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from infolib.models import mlp, small_resnet
from infolib.reparam import (
    adversarial_perturb,
    interpolate,
    perturb,
    scale_layers,
    scale_residual_block,
    swap_neurons,
    swap_residual_channels,
)


def small_mlp(activation="relu", dtype=torch.float64):
    return mlp(5, [8, 7], 3, activation=activation, seed=0).to(dtype)


def small_cnn(dtype=torch.float32):
    """Conv -> ReLU -> Conv -> BN -> ReLU -> MaxPool -> Flatten -> Linear on 1x10x10 inputs, with
    batch-norm statistics and affine parameters that differ from channel to channel."""
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3),
        nn.ReLU(),
        nn.Conv2d(4, 6, 3),
        nn.BatchNorm2d(6),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(6 * 3 * 3, 3),
    )
    _randomize_batch_norms(model)
    return model.to(dtype)


def linear_bn_mlp():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(5, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Dropout(0.1), nn.Linear(8, 3)
    )
    _randomize_batch_norms(model)
    return model


def conv_bn_flatten_mlp():
    """Conv -> Flatten -> BatchNorm1d over C*H*W features -> ReLU -> Linear."""
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 3, 3), nn.Flatten(), nn.BatchNorm1d(3 * 8 * 8), nn.ReLU(), nn.Linear(192, 2)
    )
    _randomize_batch_norms(model)
    return model


def _randomize_batch_norms(model):
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
                module.weight.uniform_(0.5, 2.0)
                module.bias.normal_()
                module.running_mean.normal_()
                module.running_var.uniform_(0.5, 2.0)
                module.num_batches_tracked.fill_(7)


def inputs_for(model, n=32, seed=1):
    first = next(m for m in model.modules() if isinstance(m, nn.Linear | nn.Conv2d))
    dtype = first.weight.dtype
    generator = torch.Generator().manual_seed(seed)
    if isinstance(first, nn.Conv2d):
        return torch.randn(n, first.in_channels, 10, 10, generator=generator, dtype=dtype)
    return torch.randn(n, first.in_features, generator=generator, dtype=dtype)


def outputs(model, x):
    model.eval()
    with torch.no_grad():
        return model(x)


def penultimate(model, x):
    """The input of the last weight layer, flattened per input, in eval mode."""
    last = [m for m in model.modules() if isinstance(m, nn.Linear | nn.Conv2d)][-1]
    captured = []
    hook = last.register_forward_pre_hook(lambda _m, args: captured.append(args[0].flatten(1)))
    try:
        outputs(model, x)
    finally:
        hook.remove()
    return captured[0]


def snapshot(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def same_state(model, state):
    return all(torch.equal(v, state[k]) for k, v in model.state_dict().items())


def changed_parameters(a, b):
    return [n for (n, p), q in zip(a.named_parameters(), b.parameters()) if not torch.equal(p, q)]


def case_id(value):
    return getattr(value, "__name__", str(value))


# scale_layers


@pytest.mark.parametrize(
    ("factory", "layer"), [(small_mlp, 0), (small_mlp, 1), (small_cnn, 0)], ids=case_id
)
@pytest.mark.parametrize("c", [7.3, 0.2])
def test_scale_layers_keeps_the_function_and_scales_two_layers(factory, layer, c):
    model = factory()
    x = inputs_for(model)
    scaled = scale_layers(model, layer, c)
    atol = 1e-10 if model[0].weight.dtype == torch.float64 else 1e-5
    torch.testing.assert_close(outputs(scaled, x), outputs(model, x), rtol=1e-5, atol=atol)

    weights = [m for m in model.modules() if isinstance(m, nn.Linear | nn.Conv2d)]
    new = [m for m in scaled.modules() if isinstance(m, nn.Linear | nn.Conv2d)]
    torch.testing.assert_close(new[layer].weight, c * weights[layer].weight)
    torch.testing.assert_close(new[layer].bias, c * weights[layer].bias)
    torch.testing.assert_close(new[layer + 1].weight, weights[layer + 1].weight / c)
    assert torch.equal(new[layer + 1].bias, weights[layer + 1].bias)
    assert len(changed_parameters(model, scaled)) == 3


def test_scale_layers_through_leaky_relu():
    model = small_mlp("leaky_relu")
    x = inputs_for(model)
    torch.testing.assert_close(outputs(scale_layers(model, 1, 3.0), x), outputs(model, x))


def test_scale_layers_refuses_what_would_change_the_function():
    with pytest.raises(ValueError, match="BatchNorm2d lies between weight layer 1"):
        scale_layers(small_cnn(), 1, 2.0)
    with pytest.raises(ValueError, match="Tanh .* not positively homogeneous"):
        scale_layers(small_mlp("tanh"), 0, 2.0)
    with pytest.raises(ValueError, match="layer 2 is the last weight layer"):
        scale_layers(small_mlp(), 2, 2.0)
    with pytest.raises(ValueError, match="scale_layers does not support _BasicBlock"):
        scale_layers(small_resnet(seed=0), 0, 2.0)
    with pytest.raises(ValueError, match="GELU .* not positively homogeneous"):
        scale_layers(nn.Sequential(nn.Linear(3, 4), nn.GELU(), nn.Linear(4, 2)), 0, 2.0)


@pytest.mark.parametrize(
    ("c", "message"),
    [(0.0, "c must be > 0"), (-1.0, "c must be > 0"), (math.inf, "c must be a finite number")]
    + [(math.nan, "c must be a finite number")],
)
def test_scale_layers_rejects_bad_c(c, message):
    with pytest.raises(ValueError, match=message):
        scale_layers(small_mlp(), 0, c)


@pytest.mark.parametrize("c", [1e39, 1e-39, 1e-46, 1e38, 1e-38])
def test_scale_layers_refuses_a_c_out_of_the_weights_range(c):
    model = small_mlp(dtype=torch.float32)  # c or 1/c beyond float32's normal range
    with pytest.raises(ValueError, match=r"c = .* out of range for the torch.float32 weights"):
        scale_layers(model, 0, c)
    float64 = scale_layers(small_mlp(dtype=torch.float64), 0, c)  # fine in float64
    x = inputs_for(float64)
    torch.testing.assert_close(outputs(float64, x), outputs(small_mlp(), x))


@pytest.mark.parametrize("c", [1e30, 1e-30])
def test_scale_layers_refuses_weights_that_overflow_or_underflow(c):
    model = small_mlp(dtype=torch.float32)
    with torch.no_grad():
        model[0].weight[0, 0] = 1e10  # 1e40 after scaling by 1e30: inf in float32
        model[2].weight[0, 0] = 1e-20  # 1e-50 after dividing by 1e30: flushed to 0
        model[0].bias[0] = 1e-20  # times 1e-30: flushed to 0
    with pytest.raises(ValueError, match="overflow to inf or underflow to 0 in torch.float32"):
        scale_layers(model, 0, c)


def test_scale_layers_with_an_extreme_but_valid_c_keeps_a_finite_function():
    model = small_mlp(dtype=torch.float32)
    x = inputs_for(model)
    for c in (1e20, 1e-20):
        scaled = scale_layers(model, 0, c)
        torch.testing.assert_close(outputs(scaled, x), outputs(model, x), rtol=1e-5, atol=1e-5)


def test_reparameterizations_accept_numpy_scalars():
    model = small_mlp()
    x = inputs_for(model)
    assert same_state(
        scale_layers(model, np.int64(1), np.float32(2.0)), snapshot(scale_layers(model, 1, 2.0))
    )
    assert same_state(
        swap_neurons(model, np.int32(0), np.float64(0.5), seed=np.int64(3)),
        snapshot(swap_neurons(model, 0, 0.5, seed=3)),
    )
    assert same_state(
        perturb(model, np.float32(0.25), seed=np.uint16(2)), snapshot(perturb(model, 0.25, seed=2))
    )
    assert same_state(
        adversarial_perturb(model, np.float64(0.01), x, steps=np.int64(2), seed=np.int8(1)),
        snapshot(adversarial_perturb(model, 0.01, x, steps=2, seed=1)),
    )
    other = perturb(model, 1.0)
    assert same_state(
        interpolate(model, other, np.float64(0.3)), snapshot(interpolate(model, other, 0.3))
    )


def test_scale_layers_rejects_bad_layer_and_model():
    with pytest.raises(ValueError, match=r"layer must be in \[0, 1\]"):
        scale_layers(small_mlp(), 3, 2.0)
    with pytest.raises(ValueError, match=r"layer must be in \[0, 1\]"):
        scale_layers(small_mlp(), -1, 2.0)
    with pytest.raises(TypeError, match="layer must be an int"):
        scale_layers(small_mlp(), 0.0, 2.0)
    with pytest.raises(TypeError, match="c must be a number"):
        scale_layers(small_mlp(), 0, "2")
    with pytest.raises(TypeError, match="layer must be an int"):
        scale_layers(small_mlp(), np.float64(0), 2.0)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        scale_layers("model", 0, 2.0)


# swap_neurons


SWAP_CASES = [
    (small_mlp, 0),
    (small_mlp, 1),
    (small_cnn, 0),  # conv -> ReLU -> conv
    (small_cnn, 1),  # conv -> BN2d -> ReLU -> MaxPool -> Flatten -> Linear
    (linear_bn_mlp, 0),  # Linear -> BN1d -> Tanh -> Dropout -> Linear
    (conv_bn_flatten_mlp, 0),  # conv -> Flatten -> BN1d over C*H*W -> ReLU -> Linear
]


@pytest.mark.parametrize(("factory", "layer"), SWAP_CASES, ids=case_id)
@pytest.mark.parametrize("fraction", [0.5, 1.0])
def test_swap_neurons_keeps_the_function_and_changes_the_parameters(factory, layer, fraction):
    model = factory()
    x = inputs_for(model)
    for seed in range(3):
        swapped = swap_neurons(model, layer, fraction, seed=seed)
        torch.testing.assert_close(outputs(swapped, x), outputs(model, x), rtol=1e-5, atol=1e-5)
        # the function is also kept in training mode (batch statistics move with the units)
        if not any(isinstance(m, nn.Dropout) for m in model.modules()):
            model.train()
            swapped.train()
            torch.testing.assert_close(swapped(x), model(x), rtol=1e-5, atol=1e-5)
        assert changed_parameters(model, swapped)


@pytest.mark.parametrize(("factory", "layer"), SWAP_CASES, ids=case_id)
def test_swap_neurons_fraction_zero_is_the_identity(factory, layer):
    model = factory()
    assert same_state(swap_neurons(model, layer, 0.0, seed=3), snapshot(model))


def moved_units(model, swapped, layer):
    """Indices of units whose weight row moved, and whether the rows are a permutation."""
    old = [m for m in model.modules() if isinstance(m, nn.Linear | nn.Conv2d)][layer].weight
    new = [m for m in swapped.modules() if isinstance(m, nn.Linear | nn.Conv2d)][layer].weight
    old, new = old.flatten(1), new.flatten(1)
    source = [int((old == row).all(1).nonzero()[0]) for row in new]  # rows are distinct
    assert sorted(source) == list(range(len(old)))
    return {j for j, i in enumerate(source) if i != j}


@pytest.mark.parametrize(
    ("fraction", "n_moved"), [(0.0, 0), (0.1, 0), (0.25, 2), (0.5, 4), (1.0, 8)]
)
def test_swap_neurons_moves_exactly_the_requested_fraction(fraction, n_moved):
    model = mlp(5, [8, 7], 3, seed=0)
    everything = set()
    for seed in range(10):
        moved = moved_units(model, swap_neurons(model, 0, fraction, seed=seed), 0)
        assert len(moved) == n_moved  # round(0.1 * 8) = 1 unit cannot move alone
        everything |= moved
    if 0 < n_moved < 8:
        assert len(everything) > n_moved  # different seeds choose different units


def test_swap_neurons_is_seeded():
    model = small_cnn()
    a, b = swap_neurons(model, 1, 0.5, seed=4), swap_neurons(model, 1, 0.5, seed=4)
    assert same_state(a, snapshot(b))
    assert not same_state(swap_neurons(model, 1, 0.5, seed=5), snapshot(a))


def test_swap_neurons_refuses_what_would_change_the_function():
    with pytest.raises(ValueError, match="layer 2 is the last weight layer"):
        swap_neurons(small_cnn(), 2, 0.5)
    with pytest.raises(ValueError, match="swap_neurons does not support _BasicBlock"):
        swap_neurons(small_resnet(seed=0), 0, 0.5)
    with pytest.raises(ValueError, match=r"does not support Unflatten \(model contains them\)"):
        swap_neurons(nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.Unflatten(1, (2, 4))), 0, 0.5)
    with pytest.raises(TypeError, match="positional"):
        swap_neurons(small_mlp(), 0, 0.5, 3)  # seed is keyword-only
    no_flatten = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Linear(4, 2))
    with pytest.raises(ValueError, match="without a Flatten"):
        swap_neurons(no_flatten, 0, 0.5)
    grouped = nn.Sequential(nn.Conv2d(4, 4, 3, groups=2), nn.ReLU(), nn.Conv2d(4, 2, 1))
    with pytest.raises(ValueError, match="grouped convolutions"):
        swap_neurons(grouped, 0, 0.5)
    conv_to_conv = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Conv2d(1, 2, 1))
    with pytest.raises(ValueError, match=r"layer 0 \(Conv2d\) feeds a Conv2d through a Flatten"):
        swap_neurons(conv_to_conv, 0, 0.5)
    linear_to_conv = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Conv2d(4, 2, 1))
    with pytest.raises(ValueError, match=r"layer 0 \(Linear\) feeds a Conv2d"):
        swap_neurons(linear_to_conv, 0, 0.5)
    odd_flatten = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(2), nn.Linear(64, 2))
    with pytest.raises(ValueError, match="only Flatten"):
        swap_neurons(odd_flatten, 0, 0.5)
    with pytest.raises(ValueError, match="at least two weight layers"):
        swap_neurons(nn.Sequential(nn.Linear(4, 4), nn.ReLU()), 0, 0.5)
    shared = nn.Linear(4, 4)
    with pytest.raises(ValueError, match="one layer at several places"):
        swap_neurons(nn.Sequential(shared, nn.ReLU(), shared), 0, 0.5)
    with pytest.raises(ValueError, match="one layer at several places"):
        scale_layers(nn.Sequential(shared, nn.ReLU(), shared), 0, 2.0)
    # a Linear on (N, T, F) inputs, flattened: its units are the last axis, not blocks
    widening = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Flatten(), nn.Linear(20, 2))
    with pytest.raises(ValueError, match="through a Flatten of more than its 4 units"):
        swap_neurons(widening, 0, 0.5)


@pytest.mark.parametrize("fraction", [-0.1, 1.5, math.nan])
def test_swap_neurons_rejects_bad_fraction(fraction):
    with pytest.raises(ValueError, match="fraction must be (>= 0|<= 1|a finite number)"):
        swap_neurons(small_mlp(), 0, fraction)


def test_swap_neurons_rejects_bad_seed():
    with pytest.raises(TypeError, match="seed must be an int"):
        swap_neurons(small_mlp(), 0, 0.5, seed=1.0)


# perturb


def test_perturb_has_the_requested_std_and_is_seeded():
    model = mlp(20, [200], 10, seed=0)  # P = 6210
    noisy = perturb(model, 0.05, seed=2)
    diff = torch.cat([(q - p).flatten() for p, q in zip(model.parameters(), noisy.parameters())])
    assert (diff != 0).all()
    assert abs(diff.std().item() - 0.05) < 0.05 * 0.05  # std error about 1% at P = 6210
    assert abs(diff.mean().item()) < 4 * 0.05 / math.sqrt(len(diff))
    assert same_state(perturb(model, 0.05, seed=2), snapshot(noisy))
    assert not same_state(perturb(model, 0.05, seed=3), snapshot(noisy))


def test_perturb_leaves_buffers_and_std_zero_keeps_everything():
    model = small_cnn()
    noisy = perturb(model, 0.1, seed=0)
    for (name, b), nb in zip(model.named_buffers(), noisy.buffers()):
        assert torch.equal(b, nb), name
    assert same_state(perturb(model, 0.0), snapshot(model))


@pytest.mark.parametrize("std", [-1.0, math.nan, math.inf])
def test_perturb_rejects_bad_std(std):
    with pytest.raises(ValueError, match="std must be (>= 0|a finite number)"):
        perturb(small_mlp(), std)


# adversarial_perturb


def test_adversarial_perturb_names_integer_inputs_a_model_of_floats_cannot_take():
    model = small_mlp()
    x = inputs_for(model, n=8)
    with pytest.raises(TypeError, match=r"x has integer dtype uint8 .* x\.float\(\) / 255"):
        adversarial_perturb(model, 0.01, x.to(torch.uint8), steps=1)


@pytest.mark.parametrize("factory", [small_mlp, small_cnn])
def test_adversarial_perturb_has_the_documented_norm_and_beats_random_noise(factory):
    model = factory()
    x = inputs_for(model, n=64)
    std = 0.02
    n_params = sum(p.numel() for p in model.parameters())
    adversarial = adversarial_perturb(model, std, x, steps=10, seed=0)
    delta = torch.cat(
        [(q - p).flatten().double() for p, q in zip(model.parameters(), adversarial.parameters())]
    )
    assert delta.norm().item() == pytest.approx(std * math.sqrt(n_params), rel=1e-4)

    reference = penultimate(model, x)

    def change(other):
        return (penultimate(other, x) - reference).square().sum(1).mean().item()

    random_changes = [change(perturb(model, std, seed=s)) for s in range(3)]
    assert change(adversarial) > 2 * max(random_changes)


def test_relative_perturbations_scale_with_each_layer():
    """relative=True: each tensor's noise has sd std x RMS(theta_t) (random), and norm exactly
    std ||theta_t|| (adversarial), which still changes the representation more than noise."""
    model = mlp(20, [200], 10, seed=0)
    with torch.no_grad():
        model[0].weight.mul_(10.0)  # layers of very different scales
    std = 0.05
    noisy = perturb(model, std, relative=True, seed=2)
    for p, q in zip(model.parameters(), noisy.parameters()):
        rms = p.double().square().mean().sqrt().item()
        if p.numel() >= 2_000:  # large tensors: the sample sd is within a few % of its value
            assert (q - p).double().std().item() == pytest.approx(std * rms, rel=0.05)
    x = inputs_for(model, n=64)
    adversarial = adversarial_perturb(model, std, x, steps=10, relative=True, seed=0)
    for p, q in zip(model.parameters(), adversarial.parameters()):
        assert (q - p).double().norm().item() == pytest.approx(std * p.double().norm().item(),
                                                               rel=1e-4)
    reference = penultimate(model, x)

    def change(other):
        return (penultimate(other, x) - reference).square().sum(1).mean().item()

    random_changes = [change(perturb(model, std, relative=True, seed=s)) for s in range(3)]
    assert change(adversarial) > 2 * max(random_changes)
    assert same_state(perturb(model, 0.0, relative=True), snapshot(model))
    assert same_state(adversarial_perturb(model, 0.0, x, relative=True), snapshot(model))


def test_adversarial_perturb_is_seeded_and_std_zero_keeps_everything():
    model = small_mlp()
    x = inputs_for(model)
    a = adversarial_perturb(model, 0.01, x, steps=2, seed=1)
    assert same_state(adversarial_perturb(model, 0.01, x, steps=2, seed=1), snapshot(a))
    assert same_state(adversarial_perturb(model, 0.0, x), snapshot(model))


def test_adversarial_perturb_leaves_batch_norm_statistics_and_starts_from_perturbs_noise():
    """The objective is computed in eval mode (the docstring's promise): a model in training mode
    keeps its running statistics; and with no ascent step the result is perturb's noise of the
    same seed, rescaled to the sphere of radius std sqrt(P)."""
    model = small_cnn().train()
    x = inputs_for(model)
    moved = adversarial_perturb(model, 0.02, x, steps=3, seed=4)
    for (name, b), nb in zip(model.named_buffers(), moved.buffers()):
        assert torch.equal(b, nb), name
    assert moved.training
    start = adversarial_perturb(model.eval(), 0.02, x, steps=0, seed=4)
    noise = [q - p for p, q in zip(model.parameters(), perturb(model, 1.0, seed=4).parameters())]
    delta = [q - p for p, q in zip(model.parameters(), start.parameters())]
    scale = 0.02 * math.sqrt(sum(p.numel() for p in model.parameters()))
    scale /= torch.cat([z.flatten() for z in noise]).norm().item()
    for z, d in zip(noise, delta):
        torch.testing.assert_close(d, scale * z, rtol=1e-4, atol=1e-6)


def test_perturb_draws_one_tensor_per_parameter_in_order():
    model = mlp(3, [4], 2, seed=0)
    noisy = perturb(model, 1.0, seed=5)
    generator = torch.Generator().manual_seed(5)
    for p, q in zip(model.parameters(), noisy.parameters()):
        torch.testing.assert_close(q - p, torch.randn(p.shape, generator=generator, dtype=p.dtype))


@pytest.mark.parametrize("call", [lambda m, x: perturb(m, 0.1, relative="False"),
                                  lambda m, x: adversarial_perturb(m, 0.1, x, relative=1)])
def test_relative_must_be_a_bool(call):
    model = small_mlp()
    with pytest.raises(TypeError, match="relative must be True or False"):
        call(model, inputs_for(model))


def test_adversarial_perturb_never_keeps_an_iterate_whose_change_overflowed():
    """float32, absolute size: at std 5e3 the random start's L is finite (about 4e32) but the
    ascent overflows L to inf; the best iterate with a finite L (about 8e36) is returned, not the
    first one that overflowed. At std 1e6 even the start overflows: an error."""
    model = mlp(5, [8] * 4, 3, seed=0)
    x = inputs_for(model)
    reference = penultimate(model, x)

    def change(other):  # L in the model's float32, as adversarial_perturb computes it
        return (penultimate(other, x) - reference).square().sum(1).mean().item()

    start = change(adversarial_perturb(model, 5e3, x, steps=0))
    best = change(adversarial_perturb(model, 5e3, x, steps=10))
    assert math.isfinite(start) and math.isfinite(best) and best >= start
    for steps in (0, 10):
        with pytest.raises(ValueError, match=r"std=1000000.0 .* L is not finite .* torch.float32"):
            adversarial_perturb(model, 1e6, x, steps=steps)


def test_adversarial_perturb_rejects_bad_input():
    model = small_mlp()
    x = inputs_for(model)
    with pytest.raises(ValueError, match="std must be >= 0"):
        adversarial_perturb(model, -0.1, x)
    with pytest.raises(ValueError, match="steps must be an int >= 0"):
        adversarial_perturb(model, 0.1, x, steps=-1)
    with pytest.raises(TypeError, match="x must be a torch.Tensor or numpy array"):
        adversarial_perturb(model, 0.1, x.tolist())
    with pytest.raises(ValueError, match="x must have a leading batch dimension with at least 1"):
        adversarial_perturb(model, 0.1, x[:0])
    with pytest.raises(ValueError, match="x contains NaN"):
        adversarial_perturb(model, 0.1, torch.full_like(x, math.nan))
    with pytest.raises(ValueError, match="no Linear or Conv2d"):
        adversarial_perturb(nn.Sequential(nn.BatchNorm1d(5)), 0.1, x)


# interpolate


def test_interpolate_reaches_both_ends_and_averages():
    a, b = small_cnn(), small_cnn()
    with torch.no_grad():
        for p in b.parameters():
            p.normal_()
        b[3].running_mean.normal_()
        b[3].num_batches_tracked.fill_(99)
    assert same_state(interpolate(a, b, 0.0), snapshot(a))
    end = interpolate(a, b, 1.0)
    for key, value in end.state_dict().items():
        expected = (
            a.state_dict()[key] if key.endswith("num_batches_tracked") else b.state_dict()[key]
        )
        assert torch.equal(value, expected), key
    for c in (0.5, 2.0, -0.5):
        mixed = interpolate(a, b, c).state_dict()
        for key, value in mixed.items():
            if key.endswith("num_batches_tracked"):
                assert int(value) == 7
            else:
                expected = (1 - c) * a.state_dict()[key] + c * b.state_dict()[key]
                torch.testing.assert_close(value, expected)
    middle = interpolate(a, b, 0.5)
    torch.testing.assert_close(middle[0].weight, (a[0].weight + b[0].weight) / 2)


def test_interpolate_refuses_an_extrapolated_negative_running_var():
    a, b = linear_bn_mlp(), linear_bn_mlp()
    with torch.no_grad():
        a[1].running_var.fill_(1.0)
        b[1].running_var.fill_(4.0)
    with pytest.raises(ValueError, match=r"c=-1.0 the batch-norm buffer '1.running_var' becomes "
                                         r"negative \(min -2\)"):
        interpolate(a, b, -1.0)
    for c in (-0.2, 0.0, 0.5, 1.0, 3.0):  # running_var 1.2 - 0.2 * 4 = 0.4 > 0 still works
        mixed = interpolate(a, b, c)
        torch.testing.assert_close(mixed[1].running_var, torch.full((8,), 1.0 + 3.0 * c))
        assert torch.isfinite(outputs(mixed, inputs_for(mixed))).all()


def test_interpolate_rejects_mismatched_architectures_and_bad_c():
    a = mlp(5, [8], 3, seed=0)
    with pytest.raises(ValueError, match=r"shapes differ for 0.weight: \(8, 5\) vs \(9, 5\)"):
        interpolate(a, mlp(5, [9], 3, seed=0), 0.5)
    with pytest.raises(ValueError, match="names differ .* only in model_b: \\['4.weight'"):
        interpolate(a, mlp(5, [8, 8], 3, seed=0), 0.5)
    with pytest.raises(ValueError, match="c must be a finite number"):
        interpolate(a, a, math.nan)
    # finite c, but (1 - c) a + c b overflows float32: a model whose outputs are NaN, refused
    with pytest.raises(ValueError, match=r"at c=1e\+40 '0.weight' overflows in torch.float32"):
        interpolate(a.float(), mlp(5, [8], 3, seed=1).float(), 1e40)
    with pytest.raises(TypeError, match="model_b must be a torch.nn.Module"):
        interpolate(a, {}, 0.5)


# inputs are never modified


CALLS = {
    "scale_layers": lambda m, x: scale_layers(m, 0, 3.0),
    "swap_neurons": lambda m, x: swap_neurons(m, 1, 1.0, seed=0),
    "perturb": lambda m, x: perturb(m, 0.1, seed=0),
    "adversarial_perturb": lambda m, x: adversarial_perturb(m, 0.1, x, steps=2),
    "interpolate": lambda m, x: interpolate(m, perturb(m, 1.0), 0.3),
}


@pytest.mark.parametrize("name", CALLS)
def test_inputs_are_never_modified(name):
    model = small_cnn()
    model.train()
    x = inputs_for(model)
    before, x_before = snapshot(model), x.clone()
    result = CALLS[name](model, x)
    assert result is not model
    assert same_state(model, before)
    assert torch.equal(x, x_before)
    assert model.training and result.training  # the training mode is kept, not switched to eval
    assert not same_state(result, before)


def test_swap_neurons_passes_any_elementwise_activation_of_the_registry():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 8), nn.GELU(), nn.Linear(8, 6), nn.SiLU(), nn.Linear(6, 3))
    x = torch.randn(7, 5)
    torch.testing.assert_close(outputs(swap_neurons(model, 1, 1.0, seed=2), x), outputs(model, x))


def test_one_registry_of_supported_layers_and_one_wording_for_the_rest():
    from infolib.complexity import SUPPORTED_LAYERS, path_norm
    from infolib.distance import param_emd
    from infolib.models import (
        BATCH_NORMS,
        CHAIN_LAYERS,
        ELEMENTWISE,
        HOMOGENEOUS,
        WEIGHT_LAYERS,
        check_layers,
    )

    assert CHAIN_LAYERS == WEIGHT_LAYERS + BATCH_NORMS + HOMOGENEOUS + ELEMENTWISE
    assert set(SUPPORTED_LAYERS) <= set(CHAIN_LAYERS)
    model = nn.Sequential(nn.Linear(4, 4), nn.Unflatten(1, (2, 2)), nn.Flatten(), nn.Linear(4, 2))
    messages = []
    for refuse in (
        lambda: scale_layers(model, 0, 2.0),
        lambda: swap_neurons(model, 0, 0.5),
        lambda: param_emd(model, model),
        lambda: path_norm(model),
    ):
        with pytest.raises(ValueError, match="does not support Unflatten") as error:
            refuse()
        messages.append(str(error.value))
    supported = ", ".join(t.__name__ for t in CHAIN_LAYERS if t is not nn.Sequential)
    for message in messages[:3]:
        assert f"supported layers: {supported}, in nn.Sequential containers" in message
    assert "supported layers: Linear, ReLU, Identity, Flatten, in nn.Sequential" in messages[3]
    check_layers(mlp(3, [4], 2), caller="test")  # a plain chain passes
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        check_layers("model", caller="test")


# residual blocks


def trained_looking_resnet():
    """small_resnet with random batch-norm statistics and affine weights, so no channel is
    trivial."""
    model = small_resnet(1, 10, widths=(4, 8), blocks_per_stage=2, seed=0)
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                n = module.num_features
                module.running_mean.copy_(torch.randn(n, generator=generator))
                module.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
                module.weight.copy_(torch.randn(n, generator=generator))
                module.bias.copy_(torch.randn(n, generator=generator))
    return model.eval()


@pytest.mark.parametrize("block", [0, 1, 2, 3])
def test_residual_reparameterizations_keep_the_function_and_change_the_weights(block):
    model = trained_looking_resnet()
    x = torch.rand(8, 1, 14, 14, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        reference = model(x)
    for changed in (scale_residual_block(model, block, 3.0),
                    scale_residual_block(model, block, 0.2),
                    swap_residual_channels(model, block, 1.0, seed=3)):
        with torch.no_grad():
            torch.testing.assert_close(changed.eval()(x), reference, rtol=1e-5, atol=1e-5)
        assert not same_state(changed, snapshot(model))
    assert same_state(swap_residual_channels(model, block, 0.0), snapshot(model))
    with torch.no_grad():  # a swap that only permutes bn1 would change the function: check it does
        broken = swap_residual_channels(model, block, 1.0, seed=3)
        inner = [m for m in broken.modules() if hasattr(m, "conv2")][block]
        inner.conv2.weight.copy_([m for m in model.modules() if hasattr(m, "conv2")][block]
                                 .conv2.weight)
        assert not torch.allclose(broken(x), reference, atol=1e-3)


def test_residual_reparameterizations_reject_bad_input():
    model = trained_looking_resnet()
    with pytest.raises(ValueError, match="block must be in"):
        scale_residual_block(model, 4, 2.0)
    with pytest.raises(ValueError, match="block must be in"):
        swap_residual_channels(mlp(2, [4], 2), 0, 0.5)
    with pytest.raises(ValueError, match="c must be"):
        scale_residual_block(model, 0, 0.0)
    with pytest.raises(ValueError, match="fraction"):
        swap_residual_channels(model, 0, 1.5)


class PreActivationBlock(nn.Module):
    """conv2(relu(bn2(conv1(relu(bn1(x)))))) + x: conv1, bn1 and conv2 by name, but bn1 acts on the
    block's input, so rescaling bn1 and conv2 or permuting conv1's channels changes the function
    (by 11% and 87% of the outputs' size in the audit that found it)."""

    def __init__(self, channels):
        super().__init__()
        self.bn1, self.bn2 = nn.BatchNorm2d(channels), nn.BatchNorm2d(channels)
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)

    def forward(self, x):
        return self.conv2(torch.relu(self.bn2(self.conv1(torch.relu(self.bn1(x)))))) + x


def test_residual_reparameterizations_refuse_a_block_whose_forward_they_cannot_read():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), PreActivationBlock(4), nn.Flatten()).eval()
    for call in (lambda: scale_residual_block(model, 0, 3.0),
                 lambda: swap_residual_channels(model, 0, 1.0, seed=3)):
        with pytest.raises(ValueError, match=r"module '1' \(PreActivationBlock\) has conv1, bn1 "
                                             "and conv2, but its forward is unknown"):
            call()
