"""What a unit's fingerprint holds: its functions, the constants and knobs they read, its modules.

The end-to-end tests (editing a chapter between two fresh processes) are in test_cache.py.
"""

import dataclasses
import enum
import functools

import numpy as np
import pytest
import torch

import infolib
from infolib.config import resolve
from infolib.fingerprint import ARRAY_DIGEST_BYTES, digest, fingerprint, module_digest

RATE = 0.5
TABLE = {"a": (1, 2.5), "b": None}
DATA = np.arange(10.0)  # a small array: digested
IMAGES = np.zeros(ARRAY_DIGEST_BYTES // 8 + 1)  # data: described by the key, not the fingerprint
settings = resolve({"cpu": {"epochs": 3, "widths": [4, 8], "lr": 0.1}}, "cpu")


@dataclasses.dataclass(frozen=True)
class Training:
    epochs: int = 3
    lr: float = 0.01


TRAINING = Training()


def scaled(x):
    return x * RATE + DATA.sum() + IMAGES.sum()


def unit(seed):
    return scaled(seed) + settings.epochs + TRAINING.epochs


def unit_with_local_import(seed):
    from infolib.neurons import ksg_mi

    return ksg_mi, seed


def test_functions_constants_and_knobs_read():
    parts = fingerprint(lambda: unit(3))
    assert set(parts["functions"]) == {"test_functions_constants_and_knobs_read.<locals>.<lambda>",
                                       "unit", "scaled"}
    constants = dict(parts["constants"])
    assert constants.pop("DATA")["array"][:2] == ["float64", [10]]
    assert constants == {"RATE": 0.5, "settings.epochs": 3, "TRAINING": {
        "dataclass": "Training", "fields": {"epochs": 3, "lr": 0.01}}}, "IMAGES is data"
    assert parts["infolib"] == {}, "the unit uses no infolib module"


def test_settings_used_whole_count_whole():
    parts = fingerprint(lambda: repr(settings) + str(TABLE))
    assert {k for k in parts["constants"] if k.startswith("settings.")} == {
        "settings.profile", "settings.epochs", "settings.widths", "settings.lr"}
    assert parts["constants"]["TABLE"] == {"dict": [["a", [1, 2.5]], ["b", None]]}


def test_infolib_modules_with_their_imports():
    from infolib.coding import prequential_codelength

    parts = fingerprint(lambda: prequential_codelength)
    assert {"infolib.coding", "infolib.checks"} <= set(parts["infolib"])
    assert "infolib.neurons" not in parts["infolib"]
    local = fingerprint(lambda: unit_with_local_import(0))
    assert "infolib.neurons" in local["infolib"]


def test_partials_closures_and_defaults():
    def make(step, fn=scaled):
        return lambda: fn(step)

    one, two = fingerprint(make(1)), fingerprint(make(2))
    assert "scaled" in one["functions"]
    assert digest(one) != digest(two), "the closure's value is part of it"
    assert digest(fingerprint(make(1))) == digest(one)
    partial = fingerprint(functools.partial(unit, 4))
    assert partial["constants"]["<partial arg 0>"] == 4 and "unit" in partial["functions"]


def test_library_functions_are_not_followed():
    parts = fingerprint(functools.partial(np.sum, [1, 2]))
    assert parts["functions"] == {} and parts["infolib"] == {}


def test_profile_and_modules_reached_through_attributes():
    import infolib.neurons as neurons_module

    parts = fingerprint(lambda: (settings.profile, neurons_module.ksg_mi))
    assert parts["constants"] == {"settings.profile": "cpu"}
    assert "infolib.neurons" in parts["infolib"]
    assert all(name.startswith("infolib.") for name in parts["infolib"])


def _digest_of(unit):
    return digest(fingerprint(unit))


def _reading(value):
    """A unit that reads ``value`` from its closure and uses it whole."""
    return lambda: value


def test_functions_in_lists_tuples_and_dicts_are_followed():
    """A dict of network builders: the builders' code and constants are part of the unit."""
    def builders(width):
        return {"small": lambda seed: width * seed}

    assert _digest_of(_reading(builders(4))) != _digest_of(_reading(builders(8)))
    assert _digest_of(_reading(builders(4))) == _digest_of(_reading(builders(4)))
    assert _digest_of(_reading([(scaled, IMAGES)])) != _digest_of(_reading([(unit, IMAGES)]))
    from infolib.models import small_cnn

    parts = fingerprint(_reading({"net": small_cnn}))
    assert "infolib.models" in parts["infolib"], "a library function in a dict counts"


def test_decorated_functions_are_followed():
    def decorated(factor):
        @torch.no_grad()
        def confidence():
            return factor

        return confidence

    assert _digest_of(decorated(1)) != _digest_of(decorated(2))

    def memoized(factor):
        @functools.cache
        def value():
            return factor

        return value

    assert _digest_of(memoized(1)) != _digest_of(memoized(2))


def test_small_arrays_by_value_large_ones_as_data():
    betas = np.logspace(0, 3, 5)
    assert _digest_of(_reading(betas)) != _digest_of(_reading(betas * 1.001))
    last_bit = np.nextafter(betas, np.inf)  # another machine's vector unit
    assert _digest_of(_reading(betas)) == _digest_of(_reading(last_bit))
    assert _digest_of(_reading(betas)) == _digest_of(_reading(torch.from_numpy(betas)))
    assert _digest_of(_reading(betas)) != _digest_of(_reading(betas.astype(np.float32)))
    results = {0: np.arange(3.0), 1: 2.0, 2: [lambda: 1]}  # units' results: data
    assert _digest_of(_reading(results)) == _digest_of(_reading({0: np.ones(3), 1: 3.0,
                                                                 2: [lambda: 1]}))
    large = np.zeros(ARRAY_DIGEST_BYTES // 8 + 1)
    assert _digest_of(_reading(large)) == _digest_of(_reading(large + 1))


class Kind(enum.Enum):
    SMALL = 1
    WIDE = 2


def test_sets_ranges_and_enum_members_are_constants():
    assert _digest_of(_reading({1, 2})) != _digest_of(_reading({1, 3}))
    assert _digest_of(_reading(frozenset({2, 1}))) == _digest_of(_reading(frozenset({1, 2})))
    assert _digest_of(_reading(range(3))) != _digest_of(_reading(range(4)))
    assert _digest_of(_reading(Kind.SMALL)) != _digest_of(_reading(Kind.WIDE))


def test_constants_of_the_same_name_do_not_overwrite_each_other():
    """Two closures of one factory (or two partials) read values under the same name."""
    def adder(n):
        return lambda: n

    def both(a, b):
        first, second = adder(a), adder(b)
        return lambda: first() + second()

    assert _digest_of(both(1, 2)) != _digest_of(both(3, 2))
    assert _digest_of(both(1, 2)) != _digest_of(both(1, 3))
    nested = functools.partial(functools.partial(scaled, 1), 2)
    assert _digest_of(nested) != _digest_of(functools.partial(functools.partial(scaled, 5), 2))


def test_a_module_edited_since_import_is_refused(monkeypatch):
    module_digest("infolib.checks")
    monkeypatch.setitem(infolib.FILES_AT_IMPORT, "infolib.checks", (0, 0))
    with pytest.raises(RuntimeError, match="changed on disk"):
        module_digest("infolib.checks")


def test_classes_with_their_bases_attributes_and_properties():
    def network(width, depth):
        class Base:
            def scale(self):
                return depth

        class Net(Base):
            size = width

            @property
            def area(self):
                return self.size * self.scale()

        return lambda: Net().area

    assert _digest_of(network(4, 1)) != _digest_of(network(8, 1)), "a class attribute"
    assert _digest_of(network(4, 1)) != _digest_of(network(4, 2)), "a base class's method"
    assert _digest_of(network(4, 1)) == _digest_of(network(4, 1))


def test_a_chapter_file_edited_while_its_process_runs_is_refused(tmp_path):
    # `python notebooks/x.py` reads its functions' source from disk at the first fingerprint: an
    # edit saved meanwhile had the old code's results stored under the new code's fingerprint
    import importlib.util
    import linecache

    path = tmp_path / "chapter_edited.py"
    source = ('SCALE = 2\n\n\ndef helper(x):\n    """Doubles."""\n    return x * SCALE\n\n\n'
              'def compute():\n    return helper(21)  # the unit\n')
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("chapter_edited", path)
    chapter = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(chapter)
    try:
        linecache.checkcache(str(path))
        fingerprint(chapter.compute)  # the file as it ran: accepted
        # comments, docstrings and moved lines do not change what runs: accepted
        path.write_text("# a note\n\n" + source.replace('"""Doubles."""', '"""Twice x."""')
                        .replace("# the unit", "# a comment"))
        linecache.checkcache(str(path))
        fingerprint(chapter.compute)
        path.write_text(source.replace("return x * SCALE", "return x + SCALE"))
        linecache.checkcache(str(path))
        with pytest.raises(RuntimeError, match="changed on disk after helper was defined"):
            fingerprint(chapter.compute)
    finally:
        linecache.cache.pop(str(path), None)


def test_the_class_of_an_object_a_unit_reads_is_part_of_its_code():
    # a method of a global object (a dataclass of the chapter, an infolib dataclass such as
    # BlockTraining, an instance of a plain class) was not followed: editing it served the
    # old number
    from infolib.train import BlockTraining

    def using(obj):
        return lambda: obj.apply(1)

    @dataclasses.dataclass
    class Doubling:
        offset: int = 0

        def apply(self, x):
            return 2 * x + self.offset

    @dataclasses.dataclass
    class Tripling:
        offset: int = 0

        def apply(self, x):
            return 3 * x + self.offset

    class Plain:
        def apply(self, x):
            return x

    class PlainPlusOne:
        def apply(self, x):
            return x + 1

    assert _digest_of(using(Doubling())) != _digest_of(using(Tripling()))
    assert _digest_of(using(Plain())) != _digest_of(using(PlainPlusOne()))
    assert _digest_of(using(Plain())) == _digest_of(using(Plain()))
    training = BlockTraining()
    assert "infolib.train" in fingerprint(lambda: training.epoch_cap(3))["infolib"]


def test_data_digest_sees_every_value_dtype_and_shape():
    from infolib.fingerprint import data_digest

    x = np.arange(12.0).reshape(3, 4)
    assert data_digest(x) == data_digest(torch.from_numpy(x.copy())) == data_digest(x.copy())
    changed = x.copy()
    changed[2, 3] += 1e-12  # exact: no bits dropped, unlike the fingerprint's small arrays
    others = [changed, x.astype(np.float32), x.reshape(4, 3), x[:2]]
    assert len({data_digest(x), *map(data_digest, others)}) == 5
    assert data_digest(x, x[:1]) != data_digest(x[:1], x)
    with pytest.raises(TypeError, match="numpy arrays or torch tensors"):
        data_digest([1.0, 2.0])


def test_class_attributes_count_as_globals_would():
    # a dict of functions or a small array as a class attribute was dropped
    def network(activation, betas):
        class Net:
            OPS = {"act": activation}
            BETAS = betas

            def run(self):
                return self.OPS["act"](self.BETAS.sum())

        return lambda: Net().run()

    same = network(lambda v: v + 1, np.arange(3.0))
    assert _digest_of(same) == _digest_of(network(lambda v: v + 1, np.arange(3.0)))
    assert _digest_of(same) != _digest_of(network(lambda v: v + 2, np.arange(3.0)))
    assert _digest_of(same) != _digest_of(network(lambda v: v + 1, np.arange(4.0)))
