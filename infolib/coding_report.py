"""What a prequential code's own training log says about its blocks, for a chapter's checks.

It reads a :class:`infolib.coding.Codelength` and computes nothing new, so that a chapter can
count the blocks whose model failed without touching the cached codes (a unit's fingerprint
covers the infolib modules it uses, and none of them uses this one).

- :func:`block_sizes`: the number of labels in each block of a code.
- :func:`block_failures`: the blocks coded worse than not learning at all, and the blocks of a
  medium or large size that early stopping left to the untrained model.
"""

from __future__ import annotations

import math

import numpy as np

from infolib.checks import integer, real

WORSE_THAN_UNIFORM = 1.5  # a block's bits per label above this many times log2 K: a failure
UNTRAINED_FROM = 50  # labels in a block from which an untrained block model counts as a failure


def block_sizes(code) -> np.ndarray:
    """The labels in each block of ``code`` (a :class:`~infolib.coding.Codelength`): the
    differences of its block ends, the first block starting at 0 (int64 array)."""
    return np.diff(np.concatenate([[0], np.asarray(code.ends)])).astype(np.int64)


def block_failures(code, *, n_classes: int, base: float = 2.0) -> dict:
    """The failed blocks of ``code`` (a :class:`~infolib.coding.Codelength` in units of log
    ``base``) over labels of ``n_classes`` classes:

    - ``above_uniform``: blocks coded at more than :data:`WORSE_THAN_UNIFORM` x log K per label
      (the uniform code, which learns nothing, costs log K per label), and ``excess``: their
      codelength above n_b log K summed over them, in units of log ``base``;
    - ``untrained``: blocks after the first, of at least :data:`UNTRAINED_FROM` labels, coded
      by the block model's starting state (best epoch 0: no epoch beat it on the held-out
      examples), and ``untrained_labels``: the labels in them.

    Needs the code's training log (``best_epochs``); a hand-built code has none."""
    n_classes = integer("n_classes", n_classes, minimum=2)
    base = real("base", base, above=1)
    if code.best_epochs is None:
        raise ValueError("block_failures needs the code's training log (best_epochs); this code "
                         "was built by hand")
    sizes = block_sizes(code)
    uniform = sizes * math.log(n_classes, base)  # n_b log K per block
    above = np.asarray(code.blocks) > WORSE_THAN_UNIFORM * uniform
    untrained = (np.arange(len(sizes)) > 0) & (np.asarray(code.best_epochs) == 0) & (
        sizes >= UNTRAINED_FROM)
    return dict(above_uniform=int(above.sum()),
                excess=float((np.asarray(code.blocks) - uniform)[above].sum()),
                untrained=int(untrained.sum()), untrained_labels=int(sizes[untrained].sum()))
