"""Scenario files: built-ins, extends, overrides, errors, and the generated reference."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import scenario_files
from simulation.errors import InputError
from simulation.scenario import Scenario, ScenarioError
from simulation.scenario_files import (
    SCENARIO_DIR,
    builtin_scenarios,
    describe,
    first_sentence,
    load_scenario,
    parse_override,
)
from simulation.schema_doc import DOC_PATH, generated_part, reference_markdown

STYLES = [
    "open_mixer",
    "referral_group",
    "paid_events",
    "online_platform",
    "connectors",
    "taker_invasion",
    "relationships_vs_numbers",
]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# -- built-ins ---------------------------------------------------------------


def test_every_networking_style_is_built_in_and_loads():
    names = builtin_scenarios()
    for style in STYLES:
        assert style in names
        s = load_scenario(style)
        assert s.name == style
        assert describe(style)  # a non-empty one-line description


def test_builtins_are_found_recursively_and_top_level_wins(tmp_path, monkeypatch):
    write(tmp_path / "alpha.toml", 'description = "Top."\n')
    write(tmp_path / "sub" / "beta.toml", 'description = "Nested."\n')
    write(tmp_path / "sub" / "alpha.toml", 'description = "Shadowed."\n')
    monkeypatch.setattr(scenario_files, "SCENARIO_DIR", tmp_path)
    found = builtin_scenarios()
    assert found == {"alpha": tmp_path / "alpha.toml", "beta": tmp_path / "sub" / "beta.toml"}
    assert describe("beta") == "Nested."
    assert load_scenario("beta").name == "beta"


def test_builtin_descriptions_are_one_sentence_lines():
    for name in builtin_scenarios():
        line = describe(name)
        assert "\n" not in line
        assert line == first_sentence(load_scenario(name).data["description"])


def test_styles_differ_in_mechanism_not_only_numbers():
    pipelines = {name: tuple(load_scenario(name).data["pipeline"]) for name in STYLES}
    assert len(set(pipelines.values())) == len(STYLES)
    own = {
        "referral_group": "chapters",
        "paid_events": "events",
        "online_platform": "platforms",
        "taker_invasion": "arrivals",
        "relationships_vs_numbers": "habits",
    }
    for name, mech in own.items():
        assert mech in pipelines[name]
        assert all(mech not in p for other, p in pipelines.items() if other != name)
    assert "meeting" not in pipelines["connectors"] and "introductions" in pipelines["connectors"]


def test_styles_keep_the_default_stages_they_do_not_replace():
    from simulation.mechanisms import DEFAULT_PIPELINE

    replaced = {"connectors": {"meeting"}}  # connectors meet only through introductions
    for name in STYLES:
        pipeline = load_scenario(name).data["pipeline"]
        missing = set(DEFAULT_PIPELINE) - set(pipeline) - replaced.get(name, set())
        assert not missing, f"{name}.toml: pipeline lacks default stage(s) {sorted(missing)}"
        order = [m for m in pipeline if m in DEFAULT_PIPELINE]
        assert order == [m for m in DEFAULT_PIPELINE if m in order], f"{name}: default stages out of order"


def test_scenario_dir_is_inside_the_package():
    assert SCENARIO_DIR == Path(scenario_files.__file__).resolve().parent / "builtin" / "scenarios"
    assert (SCENARIO_DIR / "open_mixer.toml").is_file()
    assert set(builtin_scenarios()) >= {*STYLES, "nowak_may", "moran", "ohtsuki_death_birth"}


# -- extends and overrides ------------------------------------------------------


def test_extends_a_builtin_by_name_and_overrides_parts(tmp_path):
    child = write(
        tmp_path / "stingy.toml",
        'extends = "referral_group"\n[mechanisms.chapters]\nmax_strikes = 1\n',
    )
    s = load_scenario(child)
    parent = load_scenario("referral_group")
    assert s.name == "stingy"
    assert s.get("mechanisms.chapters.max_strikes") == 1
    assert s.get("mechanisms.chapters.size") == parent.get("mechanisms.chapters.size")
    assert s.data["pipeline"] == parent.data["pipeline"]
    assert s.mix == parent.mix


def test_extends_by_relative_path_through_a_chain(tmp_path):
    write(tmp_path / "base" / "a.toml", "[population]\nsize = 77\nskills = 6\n")
    write(tmp_path / "base" / "b.toml", 'extends = "a.toml"\n[population]\nskills = 7\n')
    c = write(tmp_path / "c.toml", 'extends = "base/b.toml"\n[network]\nmean_degree = 5\n')
    s = load_scenario(c)
    assert (s.get("population.size"), s.get("population.skills"), s.get("network.mean_degree")) == (77, 7, 5)


def test_a_child_mix_replaces_the_parent_mix(tmp_path):
    f = write(tmp_path / "m.toml", 'extends = "open_mixer"\n[population.mix]\ngiver = 0.5\ntaker = 0.5\n')
    assert load_scenario(f).mix == {"giver": 0.5, "taker": 0.5}


def test_dotted_overrides_are_checked_like_the_file():
    s = load_scenario("open_mixer", {"population.size": 2000, "mechanisms.exchange.b": 4})
    assert s.get("population.size") == 2000 and s.get("mechanisms.exchange.b") == 4.0
    with pytest.raises(ScenarioError, match=r"--set: population.size: expected an integer"):
        load_scenario("open_mixer", {"population.size": "big"})
    with pytest.raises(ScenarioError, match=r"population.sise: unknown key \(did you mean 'size'\?\)"):
        load_scenario("open_mixer", {"population.sise": 10})
    with pytest.raises(ScenarioError, match="shares must sum to 1"):
        load_scenario("open_mixer", {"population.mix.taker": 0.9})


@pytest.mark.parametrize(
    "text, expected",
    [
        ("population.size=2000", ("population.size", 2000)),
        ("mechanisms.exchange.b=4.5", ("mechanisms.exchange.b", 4.5)),
        ("mechanisms.chapters.recruit=false", ("mechanisms.chapters.recruit", False)),
        ('pipeline=["needs", "asking"]', ("pipeline", ["needs", "asking"])),
        ('name="a b"', ("name", "a b")),
        ("name=plain words", ("name", "plain words")),
        (" network.kind = erdos_renyi ", ("network.kind", "erdos_renyi")),
        ("description=x=y", ("description", "x=y")),
    ],
)
def test_parse_override_reads_toml_values_or_bare_strings(text, expected):
    assert parse_override(text) == expected


@pytest.mark.parametrize("text", ["population.size", "=3", "population..size=3", "1abc=2", "a.b c=1"])
def test_parse_override_rejects_malformed_keys(text):
    with pytest.raises(InputError, match="--set"):
        parse_override(text)


# -- bad input ----------------------------------------------------------------


BAD_FILES = {
    "unknown key": ("[population]\nsise = 50\n", r"population\.sise: unknown key \(did you mean 'size'\?\)"),
    "wrong type": ('[mechanisms.exchange]\nb = "three"\n', r"mechanisms\.exchange\.b: expected a number"),
    "out of range": ("[population]\nsize = 1\n", r"population\.size: expected an integer in \[2, "),
    "infinite": (
        "[mechanisms.exchange]\nb = inf\n",
        r"mechanisms\.exchange\.b: expected a number in \[0\.0, inf\), got inf",
    ),
    "overflowing": (
        "[mechanisms.exchange]\nc = 1e400\n",
        r"mechanisms\.exchange\.c: expected a number in \[0\.0, inf\), got inf",
    ),
    "mix sum": ("[population.mix]\ngiver = 0.5\ntaker = 0.4\n", r"population\.mix: shares must sum to 1"),
    "unknown strategy": ("[population.mix]\ngiverr = 1.0\n", r"population\.mix\.giverr: unknown strategy"),
    "unknown mechanism": ('pipeline = ["needs", "chapter"]\n', r"pipeline\[1\]: unknown mechanism 'chapter'"),
    "unknown mechanism table": ("[mechanisms.exchang]\nb = 2\n", r"mechanisms\.exchang: unknown mechanism"),
    "malformed": ('name = "x"\n\n[population]\nsize 50\n', r"malformed TOML: .*line 4"),
    "extends itself": ('extends = "bad.toml"\n', r"extends: the scenario extends itself"),
    "extends a number": ("extends = 3\n", r"extends: expected a scenario name or path"),
    "extends nothing": ('extends = "no_such_style"\n', r"extends: unknown scenario 'no_such_style'"),
    "extends a missing file": (
        'extends = "gone/x.toml"\n',
        r"extends: 'gone/x.toml' \(.*gone/x.toml\): no such file",
    ),
    "extends misspelt": ('extend = "open_mixer"\n', r"extend: unknown key \(did you mean 'extends'\?\)"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_raise_one_line_errors_naming_file_and_key(tmp_path, monkeypatch, case):
    text, pattern = BAD_FILES[case]
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "bad.toml", text)
    with pytest.raises(ScenarioError) as info:
        load_scenario("bad.toml")
    message = str(info.value)
    assert message.startswith("bad.toml: ")
    assert "\n" not in message
    assert re.search(pattern, message), message


def test_missing_file_and_unknown_name(tmp_path):
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "missing.toml")
    with pytest.raises(ScenarioError, match=r"unknown scenario 'open_mixe' \(did you mean 'open_mixer'\?\)"):
        load_scenario("open_mixe")


def test_extends_loop_through_two_files(tmp_path):
    write(tmp_path / "g.toml", 'extends = "h.toml"\n')
    write(tmp_path / "h.toml", 'extends = "g.toml"\n')
    with pytest.raises(ScenarioError, match=r"extends: scenarios extend each other in a loop"):
        load_scenario(tmp_path / "g.toml")


# -- property: no input produces anything but a clean error ---------------------

BASE_TEXT = (SCENARIO_DIR / "referral_group.toml").read_text()
KNOWN_KEYS = [
    "population.size",
    "population.skills",
    "population.mix.taker",
    "network.kind",
    "network.mean_degree",
    "mechanisms.exchange.b",
    "mechanisms.chapters.size",
    "mechanisms.events.fee",
    "mechanisms.arrivals.strategy",
    "pipeline",
    "steps",
    "extends",
    "name",
    "population",
    "mechanisms.nope.x",
]
toml_values = st.recursive(
    st.one_of(
        st.booleans(),
        st.integers(-(10**12), 10**12),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=12),
    ),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(string.ascii_lowercase, max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def mutated_text(draw):
    text = BASE_TEXT
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "insert", "replace_line", "duplicate_line"]))
        pos = draw(st.integers(0, max(len(text) - 1, 0)))
        if kind == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 8)) :]
        elif kind == "insert":
            text = text[:pos] + draw(st.text(string.printable, min_size=1, max_size=6)) + text[pos:]
        else:
            lines = text.splitlines()
            i = draw(st.integers(0, len(lines) - 1))
            if kind == "replace_line":
                lines[i] = (
                    draw(st.sampled_from(KNOWN_KEYS)).split(".")[-1]
                    + " = "
                    + draw(
                        st.sampled_from(
                            ["1", "-5", "0.5", '"x"', "true", "[1, 2]", "{a = 1}", "1e400", "nan"]
                        )
                    )
                )
            else:
                lines.insert(i, lines[i])
            text = "\n".join(lines) + "\n"
    return text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=mutated_text(), overrides=st.dictionaries(st.sampled_from(KNOWN_KEYS), toml_values, max_size=3))
def test_mutated_files_and_overrides_give_only_clean_errors(tmp_path, text, overrides):
    path = tmp_path / "mutant.toml"
    path.write_text(text)
    try:
        s = load_scenario(path, overrides)
    except InputError as err:
        assert "\n" not in str(err)
    else:
        assert isinstance(s, Scenario)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_any_override_text_parses_or_fails_cleanly(text):
    try:
        key, _ = parse_override(text)
    except InputError:
        return
    assert key and "=" not in key


# -- the reference in docs/scenarios.md ------------------------------------------------


@pytest.fixture(scope="module")
def reference() -> str:
    return reference_markdown()


def test_reference_in_docs_matches_the_declared_parameters(reference):
    current = generated_part(DOC_PATH.read_text(encoding="utf-8"))
    assert current is not None, "docs/scenarios.md lost its generated-reference markers"
    assert current.strip() == reference.strip(), (
        "docs/scenarios.md is out of date: run `python -m simulation.schema_doc`"
    )


def test_reference_documents_every_key_of_every_builtin(reference):
    ref = reference
    for name in STYLES:
        data = load_scenario(name).data
        for mech, table in data["mechanisms"].items():
            for key in table:
                assert f"#### `[mechanisms.{mech}]`" in ref
                assert f"| `{key}` |" in ref


def test_toml_examples_in_the_docs_are_valid_scenarios(tmp_path):
    text = DOC_PATH.read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 2
    for i, block in enumerate(blocks):
        s = load_scenario(write(tmp_path / f"example{i}.toml", block))
        assert isinstance(s, Scenario)


def test_an_override_the_scenario_never_reads_is_refused_and_inherited_defaults_are_not_judged():
    from simulation.scenario import unread_settings

    mixer = load_scenario("open_mixer")
    # every mechanism's and the game's defaults are in the data, yet nothing the user gave
    assert "chapters" in mixer.data["mechanisms"] and "game" in mixer.data
    assert unread_settings(mixer, []) == {}
    with pytest.raises(
        ScenarioError, match=r"^--set: mechanisms\.chapters\.size: the pipeline of open_mixer"
    ):
        load_scenario("open_mixer", {"mechanisms.chapters.size": 20})
    with pytest.raises(ScenarioError, match=r"^--set: game\.b: .*'play'.*changes nothing$"):
        load_scenario("open_mixer", {"game.b": 1.85})
    with pytest.raises(ScenarioError, match=r"^--set: mechanisms\.chapters: .*'chapters'"):
        load_scenario("open_mixer", {"mechanisms": {"chapters": {"size": 20}}})
    with pytest.raises(ScenarioError, match=r"^--set: mechanisms\.exchange\.b: the pipeline of moran"):
        load_scenario("moran", {"mechanisms.exchange.b": 4})
    # judged against the pipeline after the overrides: adding the mechanism makes the setting count
    pipeline = [*mixer.data["pipeline"], "chapters"]
    s = load_scenario("open_mixer", {"pipeline": pipeline, "mechanisms.chapters.size": 20})
    assert s.get("mechanisms.chapters.size") == 20
    assert load_scenario("moran", {"game.b": 1.5}).get("game.b") == 1.5
    # without strict (settings for many scenarios at once) the override is made, unread
    assert mixer.with_overrides({"mechanisms.chapters.size": 20}).get("mechanisms.chapters.size") == 20
