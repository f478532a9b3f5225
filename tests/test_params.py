"""infolib.params: a chapter's parameters read from its source, for `make params`."""

from pathlib import Path

import pytest

from infolib.params import chapter_parameters, describe

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.py"))


@pytest.mark.parametrize("source", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_every_chapter_lists_its_parameters_and_each_profile_sets_the_open_ones(source):
    parameters = {p.name: p for p in chapter_parameters(source)}
    assert {"profile", "seed", "device"} <= set(parameters)
    assert parameters["profile"].default == "cpu"
    for p in parameters.values():
        assert p.help, f"{source.name}: parameter {p.name} has no comment saying what it is"
        if p.default is None:  # "take the profile's value": every profile must give one
            assert set(p.profiles) == {"smoke", "cpu", "gpu"}, (source.name, p.name)


@pytest.mark.parametrize("source", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_every_open_parameter_reaches_resolve_under_its_own_name(source):
    """A parameter that takes the profile's value (default None) is passed to the chapter's
    ``resolve(...)`` as ``name=name``: one that is not is silently dropped (``-p segment_epochs 5``
    gave the profile's value in usable_information_images, and no override was recorded)."""
    import ast

    tree = ast.parse(source.read_text())
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Name) and node.func.id == "resolve"]
    assert len(calls) == 1, f"{source.name}: {len(calls)} resolve(...) calls"
    passed = {k.arg: ast.unparse(k.value) for k in calls[0].keywords if k.arg}
    for p in chapter_parameters(source):
        if p.default is None:
            assert passed.get(p.name) == p.name, (source.name, p.name, passed.get(p.name))


def chapter(tmp_path, profiles):
    source = tmp_path / "toy.py"
    source.write_text(
        '# %% [markdown]\n# A toy chapter\n\n'
        '# %% tags=["parameters"]\n'
        'profile = "cpu"  # which profile\n'
        'width = None  # hidden units\n'
        'rate = 0.5  # learning rate\n\n'
        f'# %%\nPROFILES = {profiles}\n'
    )
    return source


def test_types_defaults_help_and_profile_values(tmp_path):
    source = chapter(tmp_path, '{"smoke": dict(width=4), "cpu": dict(width=2 ** 5), '
                               '"gpu": dict(width=256)}')
    profile, width, rate = chapter_parameters(source)
    assert (profile.name, profile.type, profile.default, profile.help) == (
        "profile", "str", "cpu", "which profile")
    assert (width.type, width.default, width.profiles) == (
        "int", None, {"smoke": 4, "cpu": 32, "gpu": 256})
    assert (rate.type, rate.default, rate.profiles) == ("float", 0.5, {})
    text = describe([width])
    assert "width: int = None (None: the profile's value)" in text and "at cpu: 32" in text


def test_profiles_that_are_not_plain_data_are_never_evaluated(tmp_path):
    source = chapter(tmp_path, '{"cpu": dict(width=__import__("os").getpid())}')
    width = chapter_parameters(source)[1]
    assert width.profiles == {} and width.type == "unknown"


def test_a_chapter_needs_one_parameters_cell(tmp_path):
    source = tmp_path / "none.py"
    source.write_text("# %%\nx = 1\n")
    with pytest.raises(ValueError, match="expected one cell tagged 'parameters', found 0"):
        chapter_parameters(source)


def test_a_hash_inside_a_string_default_is_not_the_start_of_the_help(tmp_path):
    source = tmp_path / "hash.py"
    source.write_text(
        '# %% tags=["parameters"]\n'
        'x = "a#b"  # the help\n'
        'colour = "#ff0000"  # the line colour\n'
        "tag = '#'\n"
        'size = (1,\n'
        '        2)  # on the last line: ignore "this # too"\n'
    )
    assert [(p.name, p.default, p.help) for p in chapter_parameters(source)] == [
        ("x", "a#b", "the help"),
        ("colour", "#ff0000", "the line colour"),
        ("tag", "#", ""),
        ("size", (1, 2), 'on the last line: ignore "this # too"'),
    ]
