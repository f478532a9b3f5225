"""Claims: summaries over seeds, verdicts, saving, and the scorecard that gathers chapters."""

import json
import subprocess
import sys

import numpy as np
import pytest

from infolib.claims import VERDICTS, Claim, Claims, load, scorecard_markdown, summarize


def usable_claims():
    claims = Claims("usable_information", paper="Xu et al. (2020)", profile="cpu")
    claims.add(
        "monotone",
        where="Fig. 2a",
        statement="usable information grows with decoder capacity",
        measured=summarize([0.9, 0.95, 1.0]),
        holds=True,
    )
    claims.add(
        "order",
        where="Table 1",
        statement="V-information | H(Y) ordering\nholds",
        measured=summarize([0.1, np.nan]),
        holds=False,
        note="a | in the note",
    )
    claims.add("scale", where="Fig. 3", statement="at ImageNet scale", measured="", holds=None)
    return claims


def fisher_claims():
    claims = Claims("fisher", paper="Achille et al. (2019)", profile="smoke")
    claims.add(
        "critical",
        where="Fig. 1",
        statement="Fisher trace peaks early",
        measured="peak at epoch 3",
        holds=True,
        partly=True,
    )
    return claims


def test_summarize_mean_and_sample_std():
    assert summarize([1, 2, 3]) == "2.00 ± 1.00 bits (n=3)"
    assert summarize(np.array([0.5, 1.5]), unit="nats", digits=3) == "1.000 ± 0.707 nats (n=2)"
    assert summarize((4.0,), unit="") == "4.00 (n=1)"


def test_summarize_drops_and_counts_nans():
    assert summarize([1, np.nan, 3]) == "2.00 ± 1.41 bits (n=2, 1 NaN dropped)"
    assert summarize([np.nan, np.nan]) == "nan bits (n=0, 2 NaN dropped)"


@pytest.mark.parametrize(
    ("values", "error"),
    [([], ValueError), ([[1, 2], [3, 4]], ValueError), (2.0, ValueError), (["a"], TypeError)],
)
def test_summarize_rejects_bad_values(values, error):
    with pytest.raises(error, match="values must be"):
        summarize(values)


def test_verdicts_follow_holds():
    claims = usable_claims()
    claims.add(
        "part", where="Fig. 4", statement="s", measured="m", holds=np.bool_(True), partly=True
    )
    assert [claim.verdict for claim in claims.claims] == [
        "reproduced",
        "not reproduced",
        "not tested at this profile",
        "partly reproduced",
    ]
    assert set(VERDICTS) == {claim.verdict for claim in claims.claims}
    assert claims.claims[0] == Claim(
        "monotone",
        "Xu et al. (2020)",
        "Fig. 2a",
        "usable information grows with decoder capacity",
        "0.95 ± 0.05 bits (n=3)",
        "reproduced",
    )


def test_bad_holds_and_verdicts_are_rejected():
    claims = Claims("c", paper="p", profile="cpu")
    with pytest.raises(TypeError, match="holds must be True, False or None, got float"):
        claims.add("a", where="w", statement="s", measured="m", holds=0.7)
    with pytest.raises(ValueError, match="partly=True needs holds=True"):
        claims.add("a", where="w", statement="s", measured="m", holds=False, partly=True)
    with pytest.raises(TypeError, match="measured must be a str.*summarize"):
        claims.add("a", where="w", statement="s", measured=0.93, holds=True)
    with pytest.raises(ValueError, match="verdict must be one of"):
        Claim("a", "p", "w", "s", "m", "confirmed")
    assert claims.claims == []


def test_duplicate_id_is_rejected():
    claims = usable_claims()
    with pytest.raises(ValueError, match="claim id 'order' is already recorded"):
        claims.add("order", where="Fig. 5", statement="s", measured="m", holds=True)
    assert len(claims.claims) == 3


def test_table_and_notebook_display():
    claims = usable_claims()
    table = claims.table()
    assert list(table.columns) == ["id", "where", "statement", "measured", "verdict", "note"]
    assert list(table["id"]) == ["monotone", "order", "scale"]
    shown = claims._repr_html_()
    assert "Xu et al. (2020)" in shown and "<code>cpu</code>" in shown
    assert "not tested at this profile" in shown
    assert list(Claims("c", paper="p", profile="cpu").table().columns) == list(table.columns)


def test_save_and_load_round_trip(tmp_path):
    claims = usable_claims()
    path = claims.save(tmp_path / "chapters" / "usable_information.claims.json")
    assert [p.name for p in path.parent.iterdir()] == ["usable_information.claims.json"]
    data = json.loads(path.read_text(encoding="utf-8"))
    header = ("usable_information", "Xu et al. (2020)", "cpu")
    assert (data["chapter"], data["paper"], data["profile"]) == header
    loaded = load(path)
    assert (loaded.chapter, loaded.paper, loaded.profile) == header
    assert loaded.claims == claims.claims


def test_load_rejects_other_files(tmp_path):
    path = tmp_path / "other.json"
    path.write_text('{"chapter": "c"}')
    with pytest.raises(ValueError, match="not a claims file written by Claims.save"):
        load(path)


def test_scorecard_gathers_every_claim_and_counts_verdicts(tmp_path):
    paths = [
        usable_claims().save(tmp_path / "usable_information.claims.json"),
        fisher_claims().save(tmp_path / "fisher.claims.json"),
    ]
    markdown = scorecard_markdown(paths)
    for claim_id in ("monotone", "order", "scale", "critical"):
        assert f"| {claim_id} |" in markdown
    assert "## usable_information" in markdown and "## fisher" in markdown
    header = "| chapter | paper | profile | " + " | ".join(VERDICTS) + " | claims |"
    assert header in markdown
    assert "| usable_information | Xu et al. (2020) | cpu | 1 | 0 | 1 | 1 | 3 |" in markdown
    assert "| fisher | Achille et al. (2019) | smoke | 0 | 1 | 0 | 0 | 1 |" in markdown
    assert "| all chapters |  |  | 1 | 1 | 1 | 1 | 4 |" in markdown


def test_scorecard_escapes_pipes_and_newlines(tmp_path):
    markdown = scorecard_markdown([usable_claims().save(tmp_path / "u.claims.json")])
    assert "V-information \\| H(Y) ordering<br>holds" in markdown
    assert "a \\| in the note" in markdown
    for line in markdown.splitlines():
        if line.startswith("| order |"):
            assert line.replace("\\|", "").count("|") == 7, "six cells, seven separators"


def test_scorecard_without_chapters():
    assert "No chapter has been executed yet" in scorecard_markdown([])


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "infolib.claims", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_cli_writes_the_scorecard(tmp_path):
    chapters = tmp_path / "chapters"
    usable_claims().save(chapters / "usable_information.claims.json")
    fisher = fisher_claims().save(tmp_path / "elsewhere" / "fisher.json")
    out = tmp_path / "book" / "scorecard_table.md"
    result = run_cli(out, chapters, fisher)
    assert result.returncode == 0, result.stderr
    markdown = out.read_text(encoding="utf-8")
    assert markdown == scorecard_markdown([chapters / "usable_information.claims.json", fisher])


def test_cli_without_inputs_writes_a_sentence(tmp_path):
    out = tmp_path / "scorecard_table.md"
    result = run_cli(out, tmp_path / "missing")
    assert result.returncode == 2 and "neither a claims file nor a directory" in result.stderr
    (tmp_path / "empty").mkdir()
    assert run_cli(out, tmp_path / "empty").returncode == 0
    assert "No chapter has been executed yet" in out.read_text(encoding="utf-8")
    out.unlink()
    assert run_cli(out).returncode == 0
    assert "No chapter has been executed yet" in out.read_text(encoding="utf-8")


def test_saved_claims_record_how_the_chapter_ran(tmp_path):
    import torch

    from infolib.config import resolve

    settings = resolve({"smoke": {"epochs": 1, "widths": [4]}}, "smoke", widths=[8, 16])
    claims = Claims("c", paper="p", settings=settings, seeds=[np.int64(3), 4], device="cpu")
    claims.add("x", where="Fig. 1", statement="s", measured="m", holds=True)
    path = claims.save(tmp_path / "c.claims.json")
    record = json.loads(path.read_text())["provenance"]
    assert record["profile"] == "smoke" and record["seeds"] == [3, 4]
    assert record["overrides"] == {"widths": [8, 16]}
    assert record["torch"] == torch.__version__ and record["numpy"] == np.__version__
    assert record["python"].count(".") == 2
    assert record["device"].startswith("cpu (") and record["threads"] == torch.get_num_threads()
    assert 0 <= record["wall_time_s"] < 60
    assert record["infolib"] and "commit" in record
    assert load(path).provenance == record
    with pytest.raises(ValueError, match="differs from settings.profile"):
        Claims("c", paper="p", profile="cpu", settings=settings)
