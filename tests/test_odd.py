"""docs/odd.md, the ODD description, is what the code says: its generated blocks equal what
`python -m simulation.odd` writes, and its prose names only settings and mechanisms that exist."""

from __future__ import annotations

import dataclasses
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from simulation import odd
from simulation.mechanisms import DEFAULT_PIPELINE, MECHANISMS
from simulation.population import Population
from simulation.tick import Tick
from simulation.ties import TieGraph

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def made() -> dict[str, str]:
    return odd.blocks()


@pytest.fixture(scope="module")
def text() -> str:
    return odd.DOC_PATH.read_text(encoding="utf-8")


def test_committed_odd_equals_what_the_generator_writes(made, text):
    assert odd.generated_blocks(text).keys() == odd.BLOCKS.keys(), "docs/odd.md lost marker lines"
    assert odd.render(text, made) == text, "docs/odd.md is out of date: run `python -m simulation.odd`"


def test_prose_names_only_real_settings_and_every_default_mechanism(text):
    assert odd.prose_problems(text) == []


def test_prose_check_catches_a_missing_setting_and_an_undescribed_mechanism(text):
    written = odd.prose(text)
    assert "`giving.choose = " in written and "`standing`" in written
    bad = text.replace("`giving.choose", "`giving.chooses").replace("`standing`", "standing")
    problems = odd.prose_problems(bad)
    assert any("`giving.chooses`" in p for p in problems)
    assert any("mechanism `standing`" in p for p in problems)


def row_meaning(block: str, name: str) -> str:
    (row,) = [line for line in block.splitlines() if line.startswith(f"| `{name}` |")]
    return row.rstrip(" |").rsplit("|", 1)[1].strip()


def test_every_member_and_tie_array_and_tick_field_has_its_meaning(made):
    for name in Population._ARRAYS:
        assert row_meaning(made["members"], name)
    for name in (*TieGraph._FIELDS, "alive"):
        assert row_meaning(made["ties"], name)
    for field in dataclasses.fields(Tick):
        assert row_meaning(made["tick"], field.name)


def test_pipeline_is_the_default_order_and_every_business_mechanism_has_a_submodel(made):
    rows = [line for line in made["pipeline"].splitlines()[2:]]
    assert [r.split("`")[1] for r in rows] == DEFAULT_PIPELINE
    styles = {"chapters", "events", "platforms", "arrivals", "habits", "tie_census"}
    for name in [*DEFAULT_PIPELINE, *sorted(styles)]:
        section = made["submodels"].split(f"#### Submodel: `{name}`", 1)[1].split("#### Submodel:", 1)[0]
        for key, param in MECHANISMS[name].PARAMS.items():
            assert f"| `{key}` |" in section, (name, key, param)
    assert "#### Submodel: `play`" not in made["submodels"]  # the classic games are not the business model


def test_an_undocumented_metric_column_stops_the_generator(tmp_path, monkeypatch):
    metrics = odd.METRICS_PATH.read_text(encoding="utf-8")
    row = next(line for line in metrics.splitlines() if line.startswith("| `referrals` |"))
    broken = tmp_path / "metrics.md"
    broken.write_text(metrics.replace(row + "\n", ""), encoding="utf-8")
    monkeypatch.setattr(odd, "METRICS_PATH", broken)
    with pytest.raises(ValueError, match="'referrals' is not defined"):
        odd.blocks()


def test_attribute_comments_are_read_on_the_line_and_the_line_before(tmp_path):
    source = tmp_path / "attrs_example.py"
    source.write_text(
        "class Thing:\n"
        "    def __init__(self):\n"
        "        self.a = 1  #: the first\n"
        "        #: the second,\n"
        "        #: on two lines\n"
        "        self.b = 2\n"
        "        self.c = 3  # a plain comment\n"
    )
    spec = importlib.util.spec_from_file_location("attrs_example", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert odd.attribute_docs(module.Thing.__init__) == {"a": "the first", "b": "the second, on two lines"}


def test_update_rewrites_a_stale_copy_and_check_passes_on_the_repository(tmp_path, made, text):
    stale = tmp_path / "odd.md"
    start, stop = odd.begin("pipeline"), odd.end("pipeline")
    head, rest = text.split(start, 1)
    stale.write_text(head + start + "\n\nold table\n\n" + stop + rest.split(stop, 1)[1], encoding="utf-8")
    assert odd.update_doc(stale) is True
    assert stale.read_text(encoding="utf-8") == text
    assert odd.update_doc(stale) is False
    check = subprocess.run(
        [sys.executable, "-m", "simulation.odd", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr


def test_to_markdown_turns_definition_lists_into_items_and_drops_examples():
    doc = """Title line.

    ``norm_a``
        first meaning,
        continued;
    ``norm_b``
        second.

    Examples
    --------
    >>> 1 + 1
    2
    """
    assert odd.to_markdown(doc) == "Title line.\n\n- `norm_a`: first meaning, continued;\n- `norm_b`: second."
