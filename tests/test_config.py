"""Profiles resolve to immutable settings; bad profiles, knobs and devices are rejected clearly."""

import dataclasses
import pickle

import numpy as np
import pytest
import torch

from infolib.config import Settings, resolve, resolve_device, seeds, unknown_parameters

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


# --- rules inferred from the profiles ---------------------------------------------------------

TYPED = {
    "smoke": {"n_seeds": 1, "lr": 0.5, "decay": 0.0, "widths": [8], "counts": {"a": 1},
              "task": "digits", "augment": False, "limit": None},
    "cpu": {"n_seeds": 3, "lr": 1, "decay": 0.1, "widths": [64, 128], "counts": {"a": 2, "b": 3},
            "task": "fashion", "augment": True, "limit": 10},
}


@pytest.mark.parametrize("value", ["3", 2.5, -1, 0, True, float("nan"), [3]])
def test_bad_seed_counts_are_refused(value):
    with pytest.raises((TypeError, ValueError), match="n_seeds must be an int > 0"):
        resolve(TYPED, "cpu", n_seeds=value)


@pytest.mark.parametrize("knob, value, expected", [
    ("n_seeds", np.int64(5), 5),
    ("lr", np.float32(0.25), 0.25),
    ("lr", 2, 2.0),  # a float knob takes an int
    ("decay", 0, 0.0),  # >= 0 in every profile
    ("widths", (np.int64(16), 32), [16, 32]),
    ("counts", {"c": np.int32(4)}, {"c": 4}),
    ("augment", np.bool_(True), True),
    ("limit", 5, 5),
])
def test_good_overrides_become_the_profile_types(knob, value, expected):
    got = getattr(resolve(TYPED, "cpu", **{knob: value}), knob)
    assert got == expected and type(got) is type(expected)
    if isinstance(expected, list):
        assert all(type(item) is int for item in got)


@pytest.mark.parametrize("knob, value, message", [
    ("lr", -0.1, r"lr must be a finite number > 0"),
    ("lr", float("inf"), r"lr must be a finite number > 0"),
    ("lr", "0.1", r"lr must be a finite number > 0 \(as in the profiles\), got str"),
    ("decay", -1e-3, r"decay must be a finite number >= 0"),
    ("widths", [64, "a"], r"widths\[1\] must be an int > 0"),
    ("widths", [64, 0], r"widths\[1\] must be an int > 0"),
    ("widths", 64, r"widths must be a list of \(an int > 0\)"),
    ("counts", {"a": -1}, r"counts\['a'\] must be an int > 0"),
    ("task", 3, r"task must be a str"),
    ("augment", 1, r"augment must be a bool"),
    ("limit", -2, r"limit must be an int > 0 or None"),
])
def test_bad_overrides_name_the_knob_and_the_rule(knob, value, message):
    with pytest.raises((TypeError, ValueError), match=message):
        resolve(TYPED, "cpu", **{knob: value})


def test_a_stated_rule_replaces_the_inferred_one():
    def odd(value):
        if value % 2 == 0:
            raise ValueError(f"n_seeds must be odd, got {value}")
        return int(value)

    assert resolve(TYPED, "cpu", n_seeds=5, rules={"n_seeds": odd}).n_seeds == 5
    with pytest.raises(ValueError, match="must be odd"):
        resolve(TYPED, "cpu", n_seeds=4, rules={"n_seeds": odd})
    with pytest.raises(ValueError, match=r"unknown knob\(s\) \['seeds'\]"):
        resolve(TYPED, "cpu", rules={"seeds": odd})


def test_settings_share_nothing_with_the_profiles():
    settings = resolve(TYPED, "cpu")
    widths = settings.widths
    widths.append(256)
    settings.counts["z"] = 9
    assert settings.widths == [64, 128] and TYPED["cpu"]["widths"] == [64, 128]
    assert settings.counts == {"a": 2, "b": 3} and TYPED["cpu"]["counts"] == {"a": 2, "b": 3}
    override = [16, 32]
    settings = resolve(TYPED, "cpu", widths=override)
    override.append(64)
    assert settings.widths == [16, 32]
    assert settings.overrides() == {"widths": [16, 32]}


def test_unknown_papermill_parameter_is_found_in_the_history():
    parameters_cell = 'profile = "cpu"\nseed = 0\nn_seeds = None  # seeds\n'
    injected = '# Parameters\nprofile = "smoke"\nn_seed = 3\n'
    history = ["", "import x", parameters_cell, injected, "settings = resolve(...)"]
    unknown, known = unknown_parameters(history)
    assert unknown == ["n_seed"]
    assert known == ["profile", "seed", "n_seeds"]
    assert unknown_parameters(["", parameters_cell, "x = 1"]) == ([], [])
    good = '# Parameters\nprofile = "smoke"\n'
    assert unknown_parameters(["", parameters_cell, good])[0] == []


@pytest.mark.slow
def test_papermill_with_a_misspelled_parameter_fails(tmp_path):
    import jupytext
    import papermill

    source = (
        '# %% tags=["parameters"]\nprofile = "cpu"\nn_seeds = None\n\n'
        '# %%\nfrom infolib.config import resolve\n'
        'settings = resolve({"cpu": {"n_seeds": 3}}, profile, n_seeds=n_seeds)\n'
    )
    notebook = jupytext.reads(source, fmt="py:percent")
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    jupytext.write(notebook, tmp_path / "in.ipynb")
    run = dict(kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    out = papermill.execute_notebook(str(tmp_path / "in.ipynb"), str(tmp_path / "ok.ipynb"),
                                     parameters={"n_seeds": 2}, **run)
    assert out.metadata.papermill.parameters == {"n_seeds": 2}
    with pytest.raises(papermill.PapermillExecutionError,
                       match=r"unknown parameter\(s\) \['n_seed'\].*\['profile', 'n_seeds'\]"):
        papermill.execute_notebook(str(tmp_path / "in.ipynb"), str(tmp_path / "bad.ipynb"),
                                   parameters={"n_seed": 2}, **run)


def test_settings_key_names_chapter_experiment_knobs_and_fields():
    settings = resolve({"cpu": {"n_seeds": 3, "epochs": 2, "widths": [4, 8]}}, "cpu",
                       chapter="fisher", epochs=5)
    assert settings.key("toy", "epochs", "widths", seed=1) == {
        "chapter": "fisher", "experiment": "toy", "epochs": 5, "widths": [4, 8], "seed": 1}
    with pytest.raises(ValueError, match="twice"):
        settings.key("toy", "epochs", epochs=3)
    # a field named chapter moved the entry into that chapter's cache folder
    with pytest.raises(ValueError, match=r"key fields \['chapter'\] are given twice"):
        settings.key("toy", chapter="memorization", seed=1)
    clashing = resolve({"cpu": {"experiment": "a"}}, "cpu", chapter="fisher")
    with pytest.raises(ValueError, match=r"key fields \['experiment'\] are given twice"):
        clashing.key("toy", "experiment")
    with pytest.raises(AttributeError, match="no knob"):
        settings.key("toy", "epoch")
    with pytest.raises(ValueError, match="chapter"):
        resolve({"cpu": {"n_seeds": 3}}, "cpu").key("toy")
    with pytest.raises(ValueError, match="must not be named"):
        resolve({"cpu": {"key": 1}}, "cpu")


def test_seeds_are_consecutive_from_the_first():
    assert seeds(4, 3) == [4, 5, 6]
    with pytest.raises(ValueError):
        seeds(0, 0)
    with pytest.raises(TypeError):
        seeds(0.5, 2)
    with pytest.raises(ValueError, match="seed must be an int >= 0"):
        seeds(-1, 3)
    # every seed handed out must be one that the trainings accept (at most 2**32 - 1)
    assert seeds(2**32 - 2, 2) == [2**32 - 2, 2**32 - 1]
    with pytest.raises(ValueError, match=r"the last seed, must be an int <= 2\*\*32 - 1, got "
                                         "4294967296"):
        seeds(2**32 - 1, 2)


def test_deterministic_sets_and_restores_the_cuda_switches(monkeypatch):
    import os

    import infolib.config as config

    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    monkeypatch.setattr(config, "resolve_device", lambda device: torch.device("cuda"))
    before = (torch.backends.cudnn.benchmark, torch.backends.cudnn.allow_tf32)
    with pytest.raises(KeyError):  # restored on the way out of an error too
        with config.deterministic("cuda"):
            assert torch.are_deterministic_algorithms_enabled()
            assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
            assert not torch.backends.cudnn.allow_tf32
            assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
            raise KeyError("inside")
    assert not torch.are_deterministic_algorithms_enabled()
    assert (torch.backends.cudnn.benchmark, torch.backends.cudnn.allow_tf32) == before
    assert "CUBLAS_WORKSPACE_CONFIG" not in os.environ
    # a caller's warn-only mode comes back as it was (it came back as errors)
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        with config.deterministic("cuda"):
            assert not torch.is_deterministic_algorithms_warn_only_enabled()
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.is_deterministic_algorithms_warn_only_enabled()
    finally:
        torch.use_deterministic_algorithms(False)


@pytest.mark.parametrize("set_before", [None, ":16:8"])
def test_importing_infolib_sets_the_cublas_workspace_before_cuda_runs(set_before):
    """torch reads CUBLAS_WORKSPACE_CONFIG once, at a process's first cuBLAS call: set only by
    deterministic(), it came too late when a matrix product had run before the block."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "CUBLAS_WORKSPACE_CONFIG"}
    if set_before is not None:
        env["CUBLAS_WORKSPACE_CONFIG"] = set_before
    code = "import os, infolib; print(os.environ.get('CUBLAS_WORKSPACE_CONFIG'))"
    shown = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                           check=True).stdout.strip()
    assert shown == (set_before or ":4096:8")


def test_full_precision_turns_tf32_off_and_restores_it():
    from infolib.config import full_precision

    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    try:
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = True
        with pytest.raises(KeyError):  # restored on the way out of an error too
            with full_precision():
                assert not torch.backends.cudnn.allow_tf32
                assert not torch.backends.cuda.matmul.allow_tf32
                raise KeyError("inside")
        assert torch.backends.cudnn.allow_tf32 and torch.backends.cuda.matmul.allow_tf32
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


def test_deterministic_changes_nothing_on_the_cpu():
    from infolib.config import deterministic

    with deterministic("cpu"):
        assert not torch.are_deterministic_algorithms_enabled()


def test_an_override_keeps_the_profiles_key_and_sequence_types():
    profiles = {"smoke": {"d": {"a": 1}, "t": (1, 2)}, "cpu": {"d": {"a": 2}, "t": (3, 4)}}
    with pytest.raises(TypeError, match=r"d key must be a str \(as in the profiles\), got int"):
        resolve(profiles, "cpu", d={1: 3})
    assert resolve(profiles, "cpu", t=[5, 6]).t == (5, 6)  # a tuple knob stays a tuple


def test_a_dict_override_must_have_the_keys_every_profile_has():
    # every profile's dict has the same keys: an override with a typo or a missing key would
    # otherwise pass here and fail cells later with a bare KeyError
    profiles = {"smoke": {"n_seeds": {"Fig. 2a": 1, "Fig. 2b": 1}},
                "cpu": {"n_seeds": {"Fig. 2a": 3, "Fig. 2b": 2}}}
    whole = {"Fig. 2a": 4, "Fig. 2b": 5}
    assert resolve(profiles, "cpu", n_seeds=whole).n_seeds == whole
    with pytest.raises(ValueError, match=r"missing \['Fig. 2b'\]"):
        resolve(profiles, "cpu", n_seeds={"Fig. 2a": 4})
    with pytest.raises(ValueError, match=r"unknown \['Fig 2a'\]"):
        resolve(profiles, "cpu", n_seeds={"Fig 2a": 4, "Fig. 2a": 1, "Fig. 2b": 1})
    # profiles whose dicts differ in their keys (TYPED's counts) leave the keys free
    assert resolve(TYPED, "cpu", counts={"c": 4}).counts == {"c": 4}
