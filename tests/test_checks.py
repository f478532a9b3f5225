"""The shared input checks: each names its argument, refuses bools as numbers, accepts numpy."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from infolib import checks


def test_integer():
    assert checks.integer("n", np.int64(3)) == 3
    assert type(checks.integer("n", np.int32(3))) is int
    with pytest.raises(TypeError, match=r"n must be an int, got bool"):
        checks.integer("n", True)
    with pytest.raises(TypeError, match=r"n must be an int, got float"):
        checks.integer("n", 3.0)
    with pytest.raises(ValueError, match=r"n must be an int >= 1, got 0"):
        checks.integer("n", 0, minimum=1)


def test_real():
    assert checks.real("lr", np.float32(0.5)) == 0.5
    assert type(checks.real("lr", 2)) is float
    with pytest.raises(TypeError, match="lr must be a number, got bool"):
        checks.real("lr", False)
    with pytest.raises(TypeError, match="lr must be a number, got str"):
        checks.real("lr", "0.1")
    with pytest.raises(ValueError, match="lr must be a finite number"):
        checks.real("lr", math.nan)
    with pytest.raises(ValueError, match="lr must be a finite number"):
        checks.real("lr", math.inf)
    assert checks.real("lr", math.inf, finite=False) == math.inf
    with pytest.raises(ValueError, match="lr must be a finite number"):  # NaN never passes
        checks.real("lr", math.nan, finite=False)
    with pytest.raises(ValueError, match="lr must be >= 0, got -1.0"):
        checks.real("lr", -1, minimum=0)
    with pytest.raises(ValueError, match="lr must be > 0, got 0.0"):
        checks.real("lr", 0, above=0)
    with pytest.raises(ValueError, match="p must be <= 1, got 2.0"):
        checks.real("p", 2, maximum=1)
    with pytest.raises(ValueError, match="p must be < 1, got 1.0"):
        checks.real("p", 1, below=1)


def test_log_base():
    assert checks.log_base(np.float64(math.e)) == math.e
    assert checks.log_base(np.int64(2)) == 2.0
    for bad in (1, 0.5, math.inf, math.nan):
        with pytest.raises(ValueError, match="base must be a finite number > 1"):
            checks.log_base(bad)
    for bad in (True, "2", None):
        with pytest.raises(TypeError, match="base must be a number > 1"):
            checks.log_base(bad)


def test_boolean_one_of_same_length_module():
    assert checks.boolean("flag", np.bool_(True)) is True
    with pytest.raises(TypeError, match="flag must be True or False, got int"):
        checks.boolean("flag", 1)
    checks.one_of("mode", "a", ("a", "b"))
    with pytest.raises(ValueError, match=r"mode must be one of \['a', 'b'\], got 'c'"):
        checks.one_of("mode", "c", ("a", "b"))
    checks.same_length("x", [1, 2], "y", np.zeros(2))
    with pytest.raises(ValueError, match="x and y must have the same length, got 2 and 3"):
        checks.same_length("x", [1, 2], "y", [1, 2, 3])
    checks.module("model", nn.Linear(1, 1))
    with pytest.raises(TypeError, match="model_a must be a torch.nn.Module, got function"):
        checks.module("model_a", lambda x: x)


def test_finite():
    checks.finite("x", torch.arange(3))  # integers are always finite
    checks.finite("x", np.zeros(3))
    for bad in (torch.tensor([0.0, math.nan]), np.array([math.inf]),
                torch.tensor([complex(math.nan, 0)]), np.array([complex(0, math.inf)])):
        with pytest.raises(ValueError, match="z contains NaN or infinite values"):
            checks.finite("z", bad)


def test_inputs():
    x = checks.inputs("x", np.zeros((3, 2), dtype=np.float32))
    assert isinstance(x, torch.Tensor) and x.shape == (3, 2)
    assert checks.inputs("x", torch.arange(4)).dtype == torch.int64
    with pytest.raises(TypeError, match="x must be a torch.Tensor or numpy array"):
        checks.inputs("x", [[0.0]])
    with pytest.raises(ValueError, match="x must have a leading batch dimension"):
        checks.inputs("x", torch.tensor(1.0))
    with pytest.raises(ValueError, match=r"at least 2 input\(s\) \(two blocks\), got shape \(1, "):
        checks.inputs("x", torch.zeros(1, 3), min_len=2, why="two blocks")
    with pytest.raises(ValueError, match="x contains NaN"):
        checks.inputs("x", torch.tensor([[math.nan]]))


def test_matrix():
    out = checks.matrix("acts", torch.ones(4, 2, dtype=torch.float16), columns="neurons")
    assert out.dtype == np.float64 and out.shape == (4, 2)
    assert checks.matrix("z", [[1, 2], [3, 4]]).dtype == np.float64
    with pytest.raises(ValueError, match=r"acts must be 2-D \(samples, neurons\), got shape"):
        checks.matrix("acts", np.zeros(3), columns="neurons")
    with pytest.raises(TypeError, match="z must hold real numbers, got dtype bool"):
        checks.matrix("z", np.zeros((2, 2), dtype=bool))
    with pytest.raises(TypeError, match="z must hold real numbers, got dtype complex"):
        checks.matrix("z", np.zeros((2, 2), dtype=complex))
    for mixed in ([[1, True]], [(0.5, np.bool_(False))]):  # numpy would make the bools numbers
        with pytest.raises(TypeError, match="z must hold real numbers, got a bool in a sequence"):
            checks.matrix("z", mixed)
    with pytest.raises(ValueError, match="z contains NaN"):
        checks.matrix("z", np.full((2, 2), math.nan))
    with pytest.raises(ValueError, match=r"z must have at least 2 features \(columns\), got 1"):
        checks.matrix("z", np.zeros((3, 1)), min_columns=2)
    with pytest.raises(ValueError, match=r"z must have at least 2 samples \(rows\), got 1"):
        checks.matrix("z", np.zeros((1, 3)), min_rows=2)
    with pytest.raises(ValueError, match=r"z must be 2-D \(samples, features\) with rows of one"):
        checks.matrix("z", [[1, 2], [3]])


def test_labels_and_class_indices():
    y = checks.labels("y", np.array([3, 7]), 2)
    assert y.dtype == torch.int64 and y.tolist() == [3, 7]
    assert checks.labels("y", [0, 1, 1], 3).tolist() == [0, 1, 1]
    with pytest.raises(TypeError, match="ys\\[0\\] must hold integer labels, got dtype float64"):
        checks.labels("ys[0]", np.zeros(2), 2)
    with pytest.raises(TypeError, match="y must hold integer labels, got dtype torch.bool"):
        checks.labels("y", torch.zeros(2, dtype=torch.bool), 2)
    with pytest.raises(TypeError, match="y must hold integer labels, got str"):
        checks.labels("y", "ab", 2)
    with pytest.raises(TypeError, match="y must hold integer labels, got a bool in a sequence"):
        checks.labels("y", [1, True], 2)  # numpy would read it as [1, 1]
    with pytest.raises(ValueError, match=r"y must have shape \(3,\) to match zs\[0\], got \(2,\)"):
        checks.labels("y", [0, 1], 3, match="zs[0]")
    assert checks.labels("y", np.array([2**63 - 1], dtype=np.uint64), 1).tolist() == [2**63 - 1]
    for huge in (np.array([1, 2**63], dtype=np.uint64), torch.tensor([2**63], dtype=torch.uint64)):
        with pytest.raises(ValueError, match=r"y holds a label above 2\*\*63 - 1"):
            checks.labels("y", huge, len(huge))  # .long() would wrap it to -2**63
    assert checks.class_indices(np.array([0, 2]), 2, 3).tolist() == [0, 2]
    with pytest.raises(ValueError, match=r"labels must hold class indices in 0\.\.2 .*K = 3"):
        checks.class_indices(torch.tensor([0, 3]), 2, 3, name="labels")
    with pytest.raises(ValueError, match=r"class indices in 0\.\.2 .*got values in -1\.\.0"):
        checks.class_indices(torch.tensor([0, -1]), 2, 3)


def test_logits():
    assert checks.logits("model", torch.zeros(3, 4), 3) == 4
    with pytest.raises(ValueError, match=r"model_b must return 2-D logits \(N, K\) for x of N = 3"):
        checks.logits("model_b", torch.zeros(3), 3)
    with pytest.raises(ValueError, match=r"got tuple"):
        checks.logits("model", (torch.zeros(3, 2),), 3)
    with pytest.raises(ValueError, match="model returns 1 logit\\(s\\) per input; .*K >= 2"):
        checks.logits("model", torch.zeros(3, 1), 3)
    bad = torch.zeros(3, 2)
    bad[1, 0] = math.inf
    bad[2, 1] = math.nan  # the first bad input is named
    with pytest.raises(ValueError, match=r"model gives NaN or infinite logits for input 11 \(x"):
        checks.logits("model", bad, 3, first_index=10)


def test_an_int_beyond_the_floats_is_a_value_error_naming_the_argument():
    from fractions import Fraction

    for huge in (10**400, Fraction(10**400)):
        with pytest.raises(ValueError, match="x must be a finite number, got one beyond the"):
            checks.real("x", huge)
    with pytest.raises(ValueError, match="base must be a finite number > 1"):
        checks.log_base(10**400)


def test_one_of_names_the_argument_for_any_value():
    for bad in (["train"], np.array(["train"]), {"a": 1}):
        with pytest.raises(ValueError, match=r"split must be one of \['train', 'test'\]"):
            checks.one_of("split", bad, ("train", "test"))
    checks.one_of("split", "train", {"train": 1, "test": 2})


def test_random_seed_is_a_32_bit_count():
    assert checks.random_seed("seed", np.int64(2**32 - 1)) == 2**32 - 1
    with pytest.raises(ValueError, match=r"seed must be an int <= 2\*\*32 - 1, got 4294967296"):
        checks.random_seed("seed", 2**32)
    with pytest.raises(ValueError, match="seed must be an int >= 0"):
        checks.random_seed("seed", -1)
    with pytest.raises(TypeError, match="seed must be an int, got bool"):
        checks.random_seed("seed", True)
