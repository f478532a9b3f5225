"""What a unit's fingerprint holds: its functions, the constants and knobs they read, its modules.

The end-to-end tests (editing a chapter between two fresh processes) are in test_cache.py.
"""

import dataclasses
import functools

import numpy as np

from infolib.config import resolve
from infolib.fingerprint import digest, fingerprint

RATE = 0.5
TABLE = {"a": (1, 2.5), "b": None}
DATA = np.arange(10)  # data: described by the key, not by the fingerprint
settings = resolve({"cpu": {"epochs": 3, "widths": [4, 8], "lr": 0.1}}, "cpu")


@dataclasses.dataclass(frozen=True)
class Training:
    epochs: int = 3
    lr: float = 0.01


TRAINING = Training()


def scaled(x):
    return x * RATE + DATA.sum()


def unit(seed):
    return scaled(seed) + settings.epochs + TRAINING.epochs


def unit_with_local_import(seed):
    from infolib.neurons import ksg_mi

    return ksg_mi, seed


def test_functions_constants_and_knobs_read():
    parts = fingerprint(lambda: unit(3))
    assert set(parts["functions"]) == {"test_functions_constants_and_knobs_read.<locals>.<lambda>",
                                       "unit", "scaled"}
    assert parts["constants"] == {"RATE": 0.5, "settings.epochs": 3, "TRAINING": {
        "dataclass": "Training", "fields": {"epochs": 3, "lr": 0.01}}}
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
