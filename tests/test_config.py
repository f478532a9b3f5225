"""Profiles resolve to immutable settings; bad profiles, knobs and devices are rejected clearly."""

import dataclasses
import pickle

import pytest
import torch

from infolib.config import Settings, resolve, resolve_device

PROFILES = {
    "smoke": {"epochs": 1, "seeds": 1, "widths": [8]},
    "cpu": {"epochs": 20, "seeds": 3, "widths": [64, 128]},
    "gpu": {"epochs": 200, "seeds": 5, "widths": [512, 1024]},
}


def test_profile_is_resolved():
    settings = resolve(PROFILES, "cpu")
    assert isinstance(settings, Settings)
    assert settings.profile == "cpu"
    assert settings.epochs == 20
    assert settings.seeds == 3
    assert settings.as_dict() == PROFILES["cpu"]
    assert settings.overridden == frozenset()


def test_unknown_profile_lists_valid_ones():
    with pytest.raises(ValueError, match=r"unknown profile 'laptop'.*\['smoke', 'cpu', 'gpu'\]"):
        resolve(PROFILES, "laptop")


def test_unknown_knob_lists_valid_ones():
    with pytest.raises(ValueError, match=r"'epoch'.*\['epochs', 'seeds', 'widths'\]"):
        resolve(PROFILES, "cpu", epoch=3)


def test_none_override_is_ignored():
    settings = resolve(PROFILES, "smoke", epochs=None, seeds=None)
    assert settings.as_dict() == PROFILES["smoke"]
    assert settings.overridden == frozenset()


def test_override_is_applied_and_shown():
    settings = resolve(PROFILES, "cpu", epochs=5, seeds=None)
    assert settings.epochs == 5
    assert settings.seeds == 3
    assert settings.overridden == {"epochs"}
    assert "epochs=5 (overridden)" in repr(settings)
    assert "seeds=3 (overridden)" not in repr(settings)
    table = settings._repr_html_()
    assert "<td><code>epochs</code></td><td>5</td><td>parameter</td>" in table
    assert "<td><code>seeds</code></td><td>3</td><td>profile</td>" in table
    assert PROFILES["cpu"]["epochs"] == 20, "the profile dict itself is left alone"


def test_inconsistent_profiles_are_rejected():
    profiles = {"smoke": {"epochs": 1, "widht": 8}, "cpu": {"epochs": 20, "width": 64}}
    with pytest.raises(ValueError, match="same knobs") as error:
        resolve(profiles, "cpu")
    message = str(error.value)
    assert "'widht' is in ['smoke'] but not in ['cpu']" in message
    assert "'width' is in ['cpu'] but not in ['smoke']" in message


@pytest.mark.parametrize("knob", ["profile", "as_dict", "_private", "not an identifier"])
def test_knob_names_that_cannot_be_attributes_are_rejected(knob):
    with pytest.raises(ValueError, match="knob"):
        resolve({"cpu": {knob: 1}}, "cpu")


def test_profiles_must_be_a_dict_of_dicts():
    with pytest.raises(ValueError, match="at least one profile"):
        resolve({}, "cpu")
    with pytest.raises(TypeError, match="profiles must be a dict of dicts, got list"):
        resolve([PROFILES["cpu"]], "cpu")
    with pytest.raises(TypeError, match=r"profiles\['cpu'\]"):
        resolve({"cpu": [("epochs", 1)]}, "cpu")


def test_settings_are_immutable():
    settings = resolve(PROFILES, "cpu")
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.epochs = 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.profile = "gpu"
    settings.as_dict()["epochs"] = 3
    assert settings.epochs == 20


def test_missing_knob_attribute_names_the_knobs():
    with pytest.raises(AttributeError, match=r"no knob 'lr'.*\['epochs', 'seeds', 'widths'\]"):
        _ = resolve(PROFILES, "cpu").lr


def test_settings_pickle_and_compare():
    settings = resolve(PROFILES, "gpu", seeds=2)
    copy = pickle.loads(pickle.dumps(settings))
    assert copy == settings
    assert copy.seeds == 2 and copy.overridden == {"seeds"}
    assert "widths" in dir(settings)


def test_auto_device_follows_cuda_availability():
    expected = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device() == expected
    assert resolve_device("auto") == expected


def test_explicit_devices_pass_through():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    if torch.cuda.is_available():
        assert resolve_device("cuda") == torch.device("cuda")
        assert resolve_device("cuda:0") == torch.device("cuda:0")


def test_cuda_without_cuda_is_rejected():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    for device in ("cuda", "cuda:1", torch.device("cuda")):
        with pytest.raises(ValueError, match="CUDA is not available.*'auto'.*'cpu'"):
            resolve_device(device)


@pytest.mark.parametrize("device", ["gpu", "", "cuda:x", "mps", "meta"])
def test_bad_device_string_is_rejected(device):
    with pytest.raises(ValueError, match="device must be 'auto', 'cpu', 'cuda' or 'cuda:N'"):
        resolve_device(device)


def test_device_of_wrong_type_is_rejected():
    with pytest.raises(TypeError, match="device must be a str or torch.device, got int"):
        resolve_device(0)


def test_cuda_index_is_checked(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert resolve_device("auto") == torch.device("cuda")
    assert resolve_device("cuda:0") == torch.device("cuda:0")
    with pytest.raises(ValueError, match="'cuda:1': this machine has 1 CUDA device"):
        resolve_device("cuda:1")
