"""The parts of ``docs/odd.md`` that come from the code, generated so they cannot drift.

``docs/odd.md`` describes the business model by the ODD protocol (Overview, Design
concepts, Details; Grimm et al. 2020, *JASSS* 23(2):7).  The prose — purpose, patterns,
design concepts — is written by hand in the document itself; everything the code
already says is generated into named blocks between marker lines:

``members``, ``ties``, ``tick``
    the state variables, from the ``#:`` comments on the arrays of
    :class:`~simulation.population.Population`, :class:`~simulation.ties.TieGraph` and
    the fields of :class:`~simulation.tick.Tick`;
``pipeline``, ``styles``
    the week's schedule, from :data:`~simulation.mechanisms.DEFAULT_PIPELINE` and the
    mechanism registry, with each mechanism's docstring summary;
``strategies``
    the strategy registry with each strategy's classifier;
``initialisation``, ``scenarios``
    the ``[population]`` and ``[network]`` tables and the built-in scenarios;
``observation``
    the per-week columns (defined in ``docs/metrics.md``, which must define each one)
    and the ``[verdict]`` thresholds;
``submodels``
    every mechanism's documentation and parameters with their defaults.

A test compares the committed document with what this module writes.  Regenerate after
changing the model::

    python -m simulation.odd            # rewrites the generated blocks of docs/odd.md
    python -m simulation.odd --check    # exit 1 if docs/odd.md is out of date

Examples
--------
>>> to_markdown("Uses :class:`~simulation.ties.TieGraph` and ``p_need``.")
'Uses `TieGraph` and `p_need`.'
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .schema_doc import load_all_components, param_table, rewrite_doc, table_cell, toml_value

__all__ = [
    "DOC_PATH",
    "METRICS_PATH",
    "BLOCKS",
    "begin",
    "end",
    "to_markdown",
    "attribute_docs",
    "blocks",
    "generated_blocks",
    "render",
    "prose",
    "prose_problems",
    "update_doc",
    "main",
]

ROOT = Path(__file__).resolve().parents[1]
DOC_PATH = ROOT / "docs" / "odd.md"
METRICS_PATH = ROOT / "docs" / "metrics.md"
_COMMAND = "python -m simulation.odd"


def begin(name: str) -> str:
    """The line that opens the generated block ``name``."""
    return f"<!-- BEGIN GENERATED odd:{name} ({_COMMAND}) -->"


def end(name: str) -> str:
    """The line that closes the generated block ``name``."""
    return f"<!-- END GENERATED odd:{name} -->"


# -- from docstrings and comments to Markdown ------------------------------------------

_ROLE = re.compile(r":(?:class|meth|func|mod|data|attr|obj):`(~?)([^`]+)`")


def _role(match: re.Match) -> str:
    target = match.group(2)
    if match.group(1):
        target = target.rsplit(".", 1)[-1]
    return f"`{target}`"


def to_markdown(text: str) -> str:
    """A docstring (reStructuredText as written here) as Markdown.

    Cross-reference roles become code, double backticks single ones, definition-list
    items (a term line followed by indented lines) bullet points; sections such as
    *Examples* and *Parameters* (a title underlined with dashes) are left out.
    """
    lines = inspect.cleandoc(text).splitlines()
    out: list[str] = []
    k = 0
    while k < len(lines):
        line = lines[k]
        nxt = lines[k + 1] if k + 1 < len(lines) else ""
        if nxt and set(nxt.strip()) == {"-"} and len(nxt.strip()) >= 3 and line.strip():
            break  # a numpydoc section: the rest is reference, not description
        if line and not line[0].isspace() and nxt.startswith("    "):
            body = []
            k += 1
            while k < len(lines) and lines[k].startswith("    "):
                body.append(lines[k].strip())
                k += 1
            out.append(f"- {line.strip()}: {' '.join(body)}")
            continue
        out.append(line.strip())
        k += 1
    md = "\n".join(out).strip()
    md = _ROLE.sub(_role, md)
    return md.replace("``", "`")


def _paragraphs(md: str) -> str:
    """Markdown with each paragraph on one line (stable under re-wrapping of the source)."""
    paras = []
    for block in re.split(r"\n\s*\n", md.strip()):
        items = re.split(r"\n(?=- )", block)
        paras.append("\n".join(" ".join(item.split()) for item in items))
    return "\n\n".join(paras)


def _summary(doc: str | None) -> str:
    if not doc:
        return ""
    return " ".join(to_markdown(doc).split("\n\n")[0].split())


_ATTR = re.compile(r"^\s*self\.(\w+)\s*(?::[^=]+)?=[^#]*#:\s*(.+?)\s*$")
_FIELD = re.compile(r"^\s*(\w+)\s*:[^=]+=.*#:\s*(.+?)\s*$")
_LEAD = re.compile(r"^\s*#:\s*(.+?)\s*$")
_ASSIGN = re.compile(r"^\s*(?:self\.)?(\w+)\s*(?::[^=]+)?=")


def attribute_docs(obj) -> dict[str, str]:
    """``#:`` comments on the attributes of a class (``__init__`` assignments or fields).

    A comment is on the line of the assignment (``self.x = ...  #: meaning``) or on the
    line(s) just before it (``#: meaning``).
    """
    source = inspect.getsource(obj)
    docs: dict[str, str] = {}
    pending: list[str] = []
    for line in source.splitlines():
        lead = _LEAD.match(line)
        if lead:
            pending.append(lead.group(1))
            continue
        same = _ATTR.match(line) or _FIELD.match(line)
        if same:
            docs.setdefault(same.group(1), same.group(2))
        elif pending:
            assign = _ASSIGN.match(line)
            if assign:
                docs.setdefault(assign.group(1), " ".join(pending))
        pending = []
    return {k: v.replace("``", "`") for k, v in docs.items()}


def _dtype(arr: np.ndarray) -> str:
    kind = {"b": "boolean", "i": "integer", "u": "integer", "f": "number"}.get(arr.dtype.kind, str(arr.dtype))
    return kind


# -- the blocks ------------------------------------------------------------------------


def _members() -> str:
    from .population import Population

    pop = Population(n_skills=3, n_interests=5, n_platforms=7, capacity=16)
    docs = attribute_docs(Population.__init__)
    shapes = {3: "skills", 5: "interests", 7: "platforms"}
    rows = ["| variable | type | per member | meaning |", "|---|---|---|---|"]
    for name in Population._ARRAYS:
        if name not in docs:
            raise ValueError(f"simulation/population.py: the array {name!r} has no `#:` comment")
        arr = getattr(pop, name)
        per = "one value" if arr.ndim == 1 else f"one per {shapes[arr.shape[1]][:-1]} category"
        if name == "platforms":
            per = "one per platform"
        rows.append(f"| `{name}` | {_dtype(arr)} | {per} | {table_cell(docs[name])} |")
    return "\n".join(rows) + "\n"


def _ties() -> str:
    from .ties import TieGraph

    graph = TieGraph(capacity=16)
    docs = attribute_docs(TieGraph.__init__)
    rows = ["| variable | type | per tie | meaning |", "|---|---|---|---|"]
    for name in (*TieGraph._FIELDS, "alive"):
        if name not in docs:
            raise ValueError(f"simulation/ties.py: the array {name!r} has no `#:` comment")
        arr = getattr(graph, name)
        per = "one value" if arr.ndim == 1 else "one per direction (`[tie, 0]`: u → v, `[tie, 1]`: v → u)"
        rows.append(f"| `{name}` | {_dtype(arr)} | {per} | {table_cell(docs[name])} |")
    return "\n".join(rows) + "\n"


def _tick() -> str:
    from .tick import Tick

    docs = attribute_docs(Tick)
    rows = ["| field | type | meaning |", "|---|---|---|"]
    for f in dataclasses.fields(Tick):
        if f.name not in docs:
            raise ValueError(f"simulation/tick.py: the field {f.name!r} of Tick has no `#:` comment")
        kind = {"int": "count", "float": "number", "Requests": "`Requests`"}.get(str(f.type), str(f.type))
        rows.append(f"| `{f.name}` | {kind} | {table_cell(docs[f.name])} |")
    return "\n".join(rows) + "\n"


def _module_path(cls) -> str:
    return "simulation/" + cls.__module__.split(".", 1)[1].replace(".", "/") + ".py"


def _business_mechanisms() -> tuple[list[str], list[str]]:
    """The default pipeline, and the other mechanisms of the business model (not the classic games)."""
    from .mechanisms import DEFAULT_PIPELINE, MECHANISMS

    others = [
        name
        for name, cls in sorted(MECHANISMS.items())
        if name not in DEFAULT_PIPELINE
        and cls.__module__.startswith("simulation.mechanisms.")
        and not cls.__module__.startswith("simulation.mechanisms.classic")
    ]
    return list(DEFAULT_PIPELINE), others


def _pipeline() -> str:
    from .mechanisms import MECHANISMS

    default, _ = _business_mechanisms()
    rows = ["| # | mechanism | module | what it does each week |", "|---|---|---|---|"]
    for k, name in enumerate(default, 1):
        cls = MECHANISMS[name]
        rows.append(
            f"| {k} | [`{name}`](#submodel-{name}) | `{_module_path(cls)}` | {table_cell(_summary(cls.__doc__))} |"
        )
    return "\n".join(rows) + "\n"


def _styles() -> str:
    from .mechanisms import MECHANISMS

    _, others = _business_mechanisms()
    rows = ["| mechanism | module | what it does | used by |", "|---|---|---|---|"]
    users = _scenarios_using()
    for name in others:
        cls = MECHANISMS[name]
        used = ", ".join(f"`{s}`" for s in users.get(name, [])) or "—"
        rows.append(
            f"| [`{name}`](#submodel-{name}) | `{_module_path(cls)}` | {table_cell(_summary(cls.__doc__))} | {used} |"
        )
    return "\n".join(rows) + "\n"


def _strategies() -> str:
    from .strategies import BUILTIN, CLASSIFIER_KEYS, REGISTRY

    head = " | ".join(f"`{k}`" for k in CLASSIFIER_KEYS)
    rows = [
        f"| strategy | decides | {head} | `asks_factor` | `tolerance` | `spares_good_standing` | `cuts_distrusted` |",
        "|---|---|" + "---|" * (len(CLASSIFIER_KEYS) + 4),
    ]
    yes = lambda v: "yes" if v else "no"  # noqa: E731
    for name in BUILTIN:
        cls = REGISTRY[name]
        flags = " | ".join(yes(cls.classifier[k]) for k in CLASSIFIER_KEYS)
        tol = "never cuts" if cls.tolerance == float("inf") else f"{cls.tolerance:g}"
        rows.append(
            f"| `{name}` | {table_cell(_summary(cls.__doc__))} | {flags} | {cls.asks_factor:g} | {tol} "
            f"| {yes(cls.spares_good_standing)} | {yes(cls.cuts_distrusted)} |"
        )
    out = "\n".join(rows) + "\n"
    for name in BUILTIN:
        cls = REGISTRY[name]
        if cls.PARAMS:
            out += f"\n`[strategies.{name}]`:\n\n" + _params(cls.PARAMS)
    return out


def _params(params) -> str:
    return "\n".join(param_table(params)) + "\n"


def _initialisation() -> str:
    from .scenario import DEFAULT_MIX, NETWORK, POPULATION

    mix = ", ".join(f"`{k}` {v:g}" for k, v in DEFAULT_MIX.items())
    return (
        "`[population]`:\n\n"
        + _params(POPULATION)
        + f"\nDefault strategy mix (`[population.mix]`): {mix}.\n\n`[network]`:\n\n"
        + _params(NETWORK)
    )


def _builtin_business_scenarios() -> dict[str, Path]:
    from .builtin import SCENARIO_DIR
    from .scenario_files import builtin_scenarios

    return {name: path for name, path in builtin_scenarios().items() if path.parent == SCENARIO_DIR}


def _scenarios_using() -> dict[str, list[str]]:
    from .scenario_files import load_scenario

    users: dict[str, list[str]] = {}
    for name in _builtin_business_scenarios():
        for mech in load_scenario(name).data["pipeline"]:
            users.setdefault(mech, []).append(name)
    return users


def _flat(data, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _scenarios() -> str:
    from .mechanisms import DEFAULT_PIPELINE
    from .scenario import Scenario
    from .scenario_files import first_sentence, load_scenario

    default = _flat(Scenario.from_dict({}).data)
    out: list[str] = []
    for name in _builtin_business_scenarios():
        data = load_scenario(name).data
        out += [f"**`{name}`** — {first_sentence(data.get('description', ''))}", ""]
        pipe = data["pipeline"]
        added = [m for m in pipe if m not in DEFAULT_PIPELINE]
        dropped = [m for m in DEFAULT_PIPELINE if m not in pipe]
        bits = []
        if added:
            bits.append("adds " + ", ".join(f"`{m}`" for m in added))
        if dropped:
            bits.append("leaves out " + ", ".join(f"`{m}`" for m in dropped))
        out.append(f"- pipeline: {'; '.join(bits) if bits else 'the default'}")
        mix = ", ".join(f"`{k}` {v:g}" for k, v in data["population"]["mix"].items() if v)
        out.append(f"- mix: {mix}")
        flat = _flat(data)
        changed = [
            f"`{k} = {toml_value(v)}`"
            for k, v in flat.items()
            if k not in ("name", "description", "pipeline") and not k.startswith("population.mix.")
            if default.get(k, object()) != v
        ]
        out.append(f"- settings changed from the defaults: {', '.join(changed) if changed else 'none'}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _metric_definitions() -> dict[str, tuple[str, str]]:
    """column -> (section of docs/metrics.md, definition), from its tables."""
    out: dict[str, tuple[str, str]] = {}
    section = ""
    inside = False
    for line in METRICS_PATH.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        if not line.startswith("|"):
            inside = False
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == "column":
            inside = True
        elif inside and not set(cells[0]) <= set("-"):
            out[cells[0].strip("`")] = (section, cells[1] if len(cells) > 1 else "")
    return out


def _observation() -> str:
    from .metrics import metric_names
    from .params import SECTIONS

    defined = _metric_definitions()
    by_section: dict[str, list[str]] = {}
    for col in metric_names(["<strategy>"], "full"):
        if col not in defined:
            raise ValueError(f"{METRICS_PATH}: the per-week column {col!r} is not defined in a table")
        by_section.setdefault(defined[col][0], []).append(col)
    rows = ["| group (`docs/metrics.md`) | columns |", "|---|---|"]
    for section, cols in by_section.items():
        rows.append(f"| {section} | {', '.join(f'`{c}`' for c in cols)} |")
    return "\n".join(rows) + "\n\nThe run's verdict (`[verdict]`):\n\n" + _params(SECTIONS["verdict"])


def _submodels() -> str:
    from .mechanisms import MECHANISMS

    default, others = _business_mechanisms()
    out: list[str] = []
    for name in [*default, *others]:
        cls = MECHANISMS[name]
        module = sys.modules[cls.__module__]
        texts = [t for t in (module.__doc__, cls.__doc__) if t]
        text = max(texts, key=lambda t: len(to_markdown(t))) if texts else ""
        where = "default pipeline" if name in default else "not in the default pipeline"
        out += [f"#### Submodel: `{name}`", "", f"`{_module_path(cls)}` ({where})", ""]
        if text:
            out += [_paragraphs(to_markdown(text)), ""]
        out += [f"`[mechanisms.{name}]`:", "", _params(cls.PARAMS) if cls.PARAMS else "No settings.\n"]
    return "\n".join(out).rstrip() + "\n"


#: block name -> generator, in the order the blocks appear in docs/odd.md
BLOCKS: dict[str, Callable[[], str]] = {
    "members": _members,
    "strategies": _strategies,
    "ties": _ties,
    "tick": _tick,
    "pipeline": _pipeline,
    "styles": _styles,
    "observation": _observation,
    "initialisation": _initialisation,
    "scenarios": _scenarios,
    "submodels": _submodels,
}


def blocks() -> dict[str, str]:
    """Every generated block, name -> Markdown."""
    load_all_components()
    return {name: make() for name, make in BLOCKS.items()}


def generated_blocks(text: str) -> dict[str, str]:
    """The blocks found between markers in ``text``, name -> content."""
    found = {}
    for name in BLOCKS:
        if begin(name) in text and end(name) in text:
            found[name] = text.split(begin(name), 1)[1].split(end(name), 1)[0].strip("\n") + "\n"
    return found


def render(text: str, made: dict[str, str] | None = None) -> str:
    """``text`` with every generated block replaced by what the code says now."""
    made = blocks() if made is None else made
    for name, content in made.items():
        if begin(name) not in text or end(name) not in text:
            raise ValueError(f"{DOC_PATH}: the marker lines of the block {name!r} are missing")
        head, rest = text.split(begin(name), 1)
        tail = rest.split(end(name), 1)[1]
        text = f"{head}{begin(name)}\n\n{content}\n{end(name)}{tail}"
    return text


_KEY_REF = re.compile(r"`([a-z_]+)\.([a-z_]+)(?: = [^`]*)?`")


_FILE_SUFFIXES = {"csv", "gexf", "graphml", "json", "md", "parquet", "py", "toml"}


def prose(text: str) -> str:
    """``text`` without its generated blocks: what is written by hand."""
    for name in BLOCKS:
        if begin(name) in text and end(name) in text:
            head, rest = text.split(begin(name), 1)
            text = head + rest.split(end(name), 1)[1]
    return text


def prose_problems(text: str) -> list[str]:
    """What the hand-written prose of ``text`` says that the code contradicts.

    Every setting the prose names as `` `section.key` `` (a mechanism, ``population`` or
    ``network``) must exist, and every mechanism of the default pipeline must be named
    (in backticks), so that a new mechanism cannot go undescribed.
    """
    load_all_components()
    from .mechanisms import DEFAULT_PIPELINE, MECHANISMS
    from .scenario import NETWORK, POPULATION

    tables = {name: cls.PARAMS for name, cls in MECHANISMS.items()}
    tables |= {"population": POPULATION, "network": NETWORK}
    written = prose(text)
    problems = []
    for section, key in _KEY_REF.findall(written):
        if key in _FILE_SUFFIXES:
            continue  # a file name, such as `network.graphml`
        if section in tables and key not in tables[section]:
            problems.append(f"the prose names `{section}.{key}`, which is not a setting")
    for name in DEFAULT_PIPELINE:
        if f"`{name}`" not in written:
            problems.append(f"the prose does not describe the mechanism `{name}` of the default pipeline")
    return problems


def update_doc(path: str | Path = DOC_PATH) -> bool:
    """Rewrite the generated blocks of ``path``; returns whether anything changed."""
    return rewrite_doc(path, render)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--check":
        text = DOC_PATH.read_text(encoding="utf-8")
        try:
            current = render(text)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 1
        if current != text:
            print(f"{DOC_PATH} is out of date: run {_COMMAND}", file=sys.stderr)
            return 1
        problems = prose_problems(text)
        for problem in problems:
            print(f"{DOC_PATH}: {problem}", file=sys.stderr)
        return 1 if problems else 0
    try:
        changed = update_doc(DOC_PATH)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"{DOC_PATH}: {'updated' if changed else 'already current'}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
