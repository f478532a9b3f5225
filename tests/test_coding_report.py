"""block_failures against codes whose failed blocks are known."""

import math

import numpy as np
import pytest
import torch

from infolib.coding import Codelength, prequential_codelength
from infolib.coding_report import UNTRAINED_FROM, WORSE_THAN_UNIFORM, block_failures, block_sizes
from infolib.models import mlp


def code(blocks, ends, best_epochs):
    return Codelength(total=float(np.sum(blocks)), blocks=np.asarray(blocks, dtype=float),
                      ends=np.asarray(ends), epochs=np.zeros(len(ends), dtype=np.int64),
                      best_epochs=np.asarray(best_epochs), steps=np.zeros(len(ends), dtype=int))


def test_counts_blocks_worse_than_uniform_and_untrained_ones():
    log_k = math.log2(10)
    # blocks of 10, 20, 70 and 100 labels: the second coded at 2x uniform (a failure), the
    # third at exactly 1.5x (not above), the last by an untrained model over 100 labels
    result = block_failures(code([10 * log_k, 40 * log_k, 105 * log_k, 100 * log_k],
                                 [10, 30, 100, 200], [0, 5, 3, 0]), n_classes=10)
    assert WORSE_THAN_UNIFORM == 1.5
    assert result == dict(above_uniform=1, excess=pytest.approx(20 * log_k), untrained=1,
                          untrained_labels=100)


def test_block_sizes_are_the_differences_of_the_ends():
    assert block_sizes(code([1.0, 2.0, 3.0], [10, 30, 100], [0, 1, 1])).tolist() == [10, 20, 70]


def test_the_first_block_and_small_untrained_blocks_do_not_count():
    # the first block has no model (best epoch 0 by definition); an untrained model over fewer
    # than UNTRAINED_FROM labels is what early stopping gives a tiny block, not a failure
    small = UNTRAINED_FROM - 1
    result = block_failures(code([10.0, 5.0, 5.0], [10, 10 + small, 200], [0, 0, 4]),
                            n_classes=10)
    assert result == dict(above_uniform=0, excess=0.0, untrained=0, untrained_labels=0)


def test_units_follow_the_base():
    # the same code in nats: a block of 10 labels at 2 ln 10 nats per label is twice uniform
    nats = block_failures(code([20 * math.log(10)], [10], [0]), n_classes=10, base=math.e)
    bits = block_failures(code([20 * math.log2(10)], [10], [0]), n_classes=10)
    assert nats["above_uniform"] == bits["above_uniform"] == 1
    assert nats["excess"] == pytest.approx(bits["excess"] * math.log(2))  # 10 ln 10 nats


def test_reads_a_real_code():
    # a real code of learnable labels: no block is twice as costly as the uniform code
    torch.manual_seed(0)
    x = torch.randn(400, 5)
    y = (x[:, 0] > 0).long()
    real_code = prequential_codelength(mlp(5, [8], 2, seed=0), x, y, min_first_block=10,
                                       seed=0, device="cpu", progress=False)
    result = block_failures(real_code, n_classes=2)
    assert result["above_uniform"] == 0
    assert result["untrained"] <= len(real_code.ends) - 1


def test_refuses_a_code_without_its_training_log():
    hand_built = Codelength(total=3.0, blocks=np.array([3.0]), ends=np.array([10]))
    with pytest.raises(ValueError, match="training log"):
        block_failures(hand_built, n_classes=10)
    with pytest.raises(ValueError, match="n_classes"):
        block_failures(code([1.0], [10], [0]), n_classes=1)
