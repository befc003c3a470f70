"""The reference tables of ``docs/scenarios.md``, generated from the declared parameters.

Every key a scenario file accepts is declared once, as a
:class:`~simulation.params.Param` of a section, a mechanism or a strategy.
:func:`reference_markdown` turns those declarations into Markdown tables (key,
type, default, allowed values, meaning); :func:`update_doc` writes them
between the two marker lines of ``docs/scenarios.md``.  A test compares the
file with the declarations, so the reference cannot drift from the code.

Regenerate after adding or changing a parameter::

    python -m simulation.schema_doc            # rewrites docs/scenarios.md
    python -m simulation.schema_doc --check    # exit 1 if it is out of date

Examples
--------
>>> from simulation.params import Param
>>> param_row("b", Param(3.0, "value of a gift", 0.0, None))
'| `b` | number | `3.0` | ≥ 0.0 | value of a gift |'
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .params import Param

__all__ = [
    "BEGIN",
    "END",
    "DOC_PATH",
    "load_all_components",
    "param_row",
    "param_table",
    "table_cell",
    "toml_value",
    "rewrite_doc",
    "reference_markdown",
    "generated_part",
    "update_doc",
    "main",
]

BEGIN = "<!-- BEGIN GENERATED REFERENCE (python -m simulation.schema_doc) -->"
END = "<!-- END GENERATED REFERENCE -->"
DOC_PATH = Path(__file__).resolve().parents[1] / "docs" / "scenarios.md"

#: modules not imported when collecting components (front ends, not components)
_SKIP = {"app", "cli", "commands", "schema_doc", "__main__"}


def load_all_components() -> None:
    """Import every module of the package that may register sections, mechanisms or strategies."""
    import simulation

    for info in pkgutil.iter_modules(simulation.__path__):
        if info.name not in _SKIP:
            importlib.import_module(f"simulation.{info.name}")


def toml_value(value: Any) -> str:
    """``value`` written as TOML (a default, a choice, a scenario setting)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, float):
        if value == float("inf"):
            return "inf"
        if value == float("-inf"):
            return "-inf"
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return str(value)


def _range(p: Param) -> str:
    if p.choices is not None:
        return "one of " + ", ".join(f"`{toml_value(c)}`" for c in p.choices)
    if p.type in (int, float):
        if p.low is not None and p.high is not None:
            return f"{p.low} – {p.high}"
        if p.low is not None:
            return f"≥ {p.low}"
        if p.high is not None:
            return f"≤ {p.high}"
        return "any finite number" if p.type is float else "any"
    if p.type is bool:
        return "`true`, `false`"
    return "any"


def table_cell(text: str) -> str:
    """``text`` on one line, safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def param_row(key: str, p: Param) -> str:
    """One Markdown table row: key, type, default, allowed values, meaning."""
    return f"| `{key}` | {p.describe_type()} | `{toml_value(p.default)}` | {table_cell(_range(p))} | {table_cell(p.doc)} |"


def param_table(params: dict[str, Param], prefix: str = "") -> list[str]:
    """The lines of a Markdown table of ``params``: a header and one :func:`param_row` each."""
    lines = ["| key | type | default | allowed | meaning |", "|---|---|---|---|---|"]
    for key, p in params.items():
        lines.append(param_row(f"{prefix}{key}", p))
    return lines


def _first_paragraph(doc: str | None) -> str:
    if not doc:
        return ""
    return " ".join(doc.strip().split("\n\n")[0].split()).replace("``", "`")


def reference_markdown() -> str:
    """The generated reference: one table per section, mechanism and strategy."""
    load_all_components()
    from .mechanisms import DEFAULT_PIPELINE, MECHANISMS
    from .scenario import DEFAULT_MIX, NETWORK, POPULATION, SECTIONS, TOP_LEVEL
    from .strategies import REGISTRY

    out: list[str] = []
    out += ["### Top-level keys", "", *param_table(TOP_LEVEL), ""]
    out += [
        "`extends` (a string: a built-in scenario name or a path relative to the file) is read "
        "before validation: the file starts from that scenario and changes only what it sets.",
        "",
    ]
    out += ["### `[population]`", "", *param_table(POPULATION), ""]
    mix = ", ".join(f"`{k} = {v}`" for k, v in DEFAULT_MIX.items())
    out += [
        "### `[population.mix]`",
        "",
        "Share of members following each strategy: a number in 0 – 1 per strategy name "
        "(see *Strategies* below); the shares must sum to 1. A scenario's mix replaces the "
        f"default mix as a whole. Default: {mix}.",
        "",
    ]
    out += ["### `[network]`", "", *param_table(NETWORK), ""]
    for name in sorted(SECTIONS):
        out += [f"### `[{name}]`", "", *param_table(SECTIONS[name]), ""]
    out += ["### Mechanisms", ""]
    default = ", ".join(f"`{m}`" for m in DEFAULT_PIPELINE)
    out += [
        "Each mechanism runs only if the scenario's `pipeline` names it "
        f"(default pipeline: {default}). Its settings go in `[mechanisms.<name>]`.",
        "",
    ]
    for name in sorted(MECHANISMS):
        cls = MECHANISMS[name]
        out += [f"#### `[mechanisms.{name}]`", ""]
        summary = _first_paragraph(cls.__doc__)
        if summary:
            out += [summary, ""]
        if cls.PARAMS:
            out += [*param_table(cls.PARAMS), ""]
        else:
            out += ["No settings.", ""]
    out += ["### Strategies", "", "Settings of each strategy go in `[strategies.<name>]`.", ""]
    for name in sorted(REGISTRY):
        cls = REGISTRY[name]
        out += [f"#### `[strategies.{name}]`", ""]
        summary = _first_paragraph(cls.__doc__)
        if summary:
            out += [summary, ""]
        if cls.PARAMS:
            out += [*param_table(cls.PARAMS), ""]
        else:
            out += ["No settings.", ""]
    return "\n".join(out).rstrip() + "\n"


def generated_part(text: str) -> str | None:
    """The text between the markers of a document, or None without markers."""
    if BEGIN not in text or END not in text:
        return None
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"


def rewrite_doc(path: str | Path, render: Callable[[str], str]) -> bool:
    """Replace the text of ``path`` by ``render(text)``, atomically and only when it
    differs; returns whether anything changed."""
    from .io import atomic_path

    path = Path(path)
    text = path.read_text(encoding="utf-8")
    new = render(text)
    if new == text:
        return False
    with atomic_path(path) as tmp:
        tmp.write_text(new, encoding="utf-8")
    return True


def update_doc(path: str | Path = DOC_PATH) -> bool:
    """Rewrite the generated part of ``path``; returns whether anything changed."""
    path = Path(path)

    def render(text: str) -> str:
        if generated_part(text) is None:
            raise ValueError(f"{path}: the marker lines {BEGIN!r} and {END!r} are missing")
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        return f"{head}{BEGIN}\n\n{reference_markdown()}\n{END}{tail}"

    return rewrite_doc(path, render)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--check":
        current = generated_part(DOC_PATH.read_text(encoding="utf-8"))
        if current is None or current.strip() != reference_markdown().strip():
            print(f"{DOC_PATH} is out of date: run python -m simulation.schema_doc", file=sys.stderr)
            return 1
        return 0
    changed = update_doc(DOC_PATH)
    print(f"{DOC_PATH}: {'updated' if changed else 'already current'}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
