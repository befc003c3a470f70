"""The end of a class: which strategy each student played, what it did to them and to
their ecosystem, a class summary, and the decisions as a table to export.

Each student's own answers (help or refuse, in the situation they saw: the
asker's reputation, their trust in the asker, the gifts each had given the
other) are put to every built-in strategy through its ``gives``: the strategy
that would have answered the same most often is the one the student played.

Examples
--------
>>> from simulation.classroom import ClassSession
>>> s = ClassSession("open_mixer", seed=6, timer=None, overrides={"population.size": 60})
>>> seat = s.join(s.code, "Ada")
>>> s.start()
>>> for week in range(4):
...     s.decide(seat.token, week=week, helps={r["asker"]: True for r in s.requests.get(seat.slot, [])}, others=True)
>>> d = student_debriefs(s)[0]
>>> d["decisions"] > 0, d["nearest"]  # helped everyone: played like a giver
(True, 'giver')
>>> list(decisions_table(s).columns)[:5]
['week', 'student', 'member', 'choice', 'asked']
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..scenario import BUILTIN_STRATEGIES
from ..strategies import DecisionContext
from ..strategies import label as strategy_label
from ..verdict import judge_model
from .session import ClassSession

__all__ = ["student_debriefs", "class_summary", "decisions_table", "export_decisions", "COLUMNS"]

#: the columns of the decisions table, in order (``nickname`` only when names are on)
COLUMNS = [
    "week",
    "student",
    "member",
    "choice",
    "asked",
    "decided_by",
    "asker",
    "reputation",
    "trust",
    "given",
    "received",
    "target",
    "partner",
    "outcome",
    "response_seconds",
]


def _own_answers(session: ClassSession, seat_id: str) -> list[dict[str, Any]]:
    """The help/refuse answers a student gave themselves (not the teacher's default)."""
    return [
        r
        for r in session.log
        if r["student"] == seat_id
        and r["choice"] in ("help", "refuse")
        and str(r["decided_by"]).startswith("student")
    ]


def agreement(session: ClassSession, rows: list[dict[str, Any]]) -> dict[str, float]:
    """Share of ``rows`` each built-in strategy would have answered the same way."""
    if not rows:
        return {}
    model = session.model
    ctx = DecisionContext(
        model,
        giver=np.array([r["member"] for r in rows], np.int64),
        asker=np.array([r["asker"] for r in rows], np.int64),
        edge=np.zeros(len(rows), np.int64),
        given=np.array([r["given"] for r in rows], np.int64),
        received=np.array([r["received"] for r in rows], np.int64),
        trust=np.array([r["trust"] for r in rows], float),
        asker_reputation=np.array([r["reputation"] for r in rows], float),
    )
    chose = np.array([r["choice"] == "help" for r in rows])
    out = {}
    for name, strat in zip(model.strategy_names, model.strategies, strict=True):
        if name in BUILTIN_STRATEGIES:
            out[name] = float(np.mean(np.asarray(strat.gives(ctx), bool) == chose))
    return out


def _ecosystem(session: ClassSession, slot: int) -> dict[str, Any]:
    """The ecosystem a member is in now: its size and strategy mix (when detected)."""
    mech = session.model.mechanism("ecosystems")
    current = dict(getattr(mech, "current", None) or {}) if mech is not None else {}
    if slot not in current:
        return {"ecosystem": None, "ecosystem_size": 0, "ecosystem_mix": ""}
    eco = current[slot]
    members = np.array([s for s, e in current.items() if e == eco], np.int64)
    pop, names = session.model.population, session.model.strategy_names
    counts = np.bincount(pop.strategy[members], minlength=len(names))
    return {"ecosystem": int(eco), "ecosystem_size": len(members), "ecosystem_mix": mix_words(counts, names)}


def mix_words(counts, names) -> str:
    """A strategy mix in words, the largest first, each count with its label (plural past one).

    Examples
    --------
    >>> mix_words(np.array([1, 12, 4, 0]), ["giver", "matcher", "otherish_giver", "taker"])
    '12 matchers, 4 otherish givers, 1 giver'
    """
    words = []
    for i in np.argsort(-np.asarray(counts), kind="stable"):
        n, word = int(counts[i]), strategy_label(names[i])
        if n:
            words.append(f"{n} {word}" if n == 1 or word.endswith("s") else f"{n} {word}s")
    return ", ".join(words)


def student_debriefs(session: ClassSession) -> list[dict[str, Any]]:
    """One dict per seat that played: ``seat, nickname, member, decisions, helped_share,
    nearest, nearest_agreement, agreement, wealth, wealth_change, rank, of, alive``, the
    member's ecosystem (``ecosystem, ecosystem_size, ecosystem_mix``) and the student's
    own choices of whom to deal with: ``asked`` (contacts asked for help, as picked),
    ``asked_helped`` (of them, those who helped), ``met`` and ``introduced`` (meetings
    and introductions that took place)."""
    with session.lock:
        pop = session.model.population
        alive = pop.alive_slots()
        wealth_alive = pop.wealth[alive]
        out = []
        for seat in session.seats:
            rows = _own_answers(session, seat.id)
            chose = [r for r in session.log if r["student"] == seat.id]
            asked = [r for r in chose if r["choice"] == "ask" and r["asked"]]
            agree = agreement(session, rows)
            nearest = max(agree, key=agree.get) if agree else None
            tied = [n for n, v in agree.items() if nearest and v == agree[nearest]]
            out.append(
                {
                    "seat": seat.id,
                    "nickname": seat.nickname,
                    "member": seat.slot,
                    "removed": seat.removed,
                    "decisions": len(rows),
                    "helped_share": float(np.mean([r["choice"] == "help" for r in rows])) if rows else None,
                    "nearest": nearest,
                    "nearest_tied": tied,
                    "nearest_agreement": agree.get(nearest) if nearest else None,
                    "agreement": agree,
                    "wealth": float(pop.wealth[seat.slot]),
                    "wealth_change": float(pop.wealth[seat.slot]) - session.wealth_before.get(seat.slot, 0.0),
                    "alive": bool(pop.alive[seat.slot]),
                    # 1 + members strictly richer: members with equal wealth share a rank
                    "rank": 1 + int((wealth_alive > pop.wealth[seat.slot]).sum())
                    if pop.alive[seat.slot]
                    else None,
                    "of": len(alive),
                    **_ecosystem(session, seat.slot),
                    "asked": len(asked),
                    "asked_helped": sum(1 for r in asked if r["outcome"] == "helped"),
                    "met": sum(1 for r in chose if r["choice"] == "meet" and r["asked"]),
                    "introduced": sum(1 for r in chose if r["choice"] == "introduce" and r["asked"]),
                }
            )
        return out


def class_summary(session: ClassSession) -> dict[str, Any]:
    """The class as a whole: weeks, students, their mean wealth next to each strategy's,
    the share of requests they helped, the network's fulfilment and its verdict."""
    with session.lock:
        model, pop = session.model, session.model.population
        alive = pop.alive_slots()
        by_strategy = {}
        for i, name in enumerate(model.strategy_names):
            sel = alive[pop.strategy[alive] == i]
            if len(sel):
                by_strategy[name] = float(pop.wealth[sel].mean())
        answers = [r for r in session.log if r["choice"] in ("help", "refuse") and r["asked"]]
        judged = judge_model(model)  # None before the first week, or with light metrics
        verdict = judged.verdict if judged is not None else None
        return {
            "weeks": int(model.steps),
            "students": len([s for s in session.seats if not s.removed]),
            "mean_wealth": by_strategy,
            "helped_share": float(np.mean([r["choice"] == "help" for r in answers])) if answers else None,
            "default_share": float(np.mean([str(r["decided_by"]).startswith("default") for r in answers]))
            if answers
            else None,
            "fulfilment": float(model.metrics.get("fulfilment_rate", float("nan"))),
            "verdict": verdict,
        }


def decisions_table(session: ClassSession, names: bool = False) -> pd.DataFrame:
    """Every decision of the class, one row each: week, pseudonymous student id, member,
    choice (help, refuse, drop, ask, meet, introduce), whether the request was made (for
    a meeting or an introduction: whether it took place), who decided (the student,
    their answer for anyone else, or the teacher's default), the situation of a help or
    refuse (asker, the asker's public reputation, the student's trust in them, gifts
    given and received on the tie), the member a drop, ask, meeting or introduction
    concerns (``target``; ``partner``: the other one introduced), what came of it
    (``outcome``: helped, refused, busy, not asked; met, not met; introduced, not
    introduced) and the response time in seconds after the week opened.  Nicknames only
    with ``names=True``."""
    with session.lock:
        df = pd.DataFrame(list(session.log), columns=[*COLUMNS, "nickname"])
    if not names:
        df = df.drop(columns=["nickname"])
    df["asked"] = df["asked"].astype(bool)
    for col in ("given", "received", "asker", "target", "partner", "week", "member"):
        df[col] = df[col].astype("Int64")
    for col in ("reputation", "trust", "response_seconds"):
        df[col] = df[col].astype(float)
    return df


def export_decisions(session: ClassSession, folder: str | Path, names: bool = False) -> tuple[Path, Path]:
    """Write the decisions table as ``decisions.csv`` and ``decisions.parquet`` in
    ``folder``; returns both paths.  Each file is written whole or not at all."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    df = decisions_table(session, names=names)
    paths = (folder / "decisions.csv", folder / "decisions.parquet")
    tmp = [p.with_name(f".{p.name}.tmp") for p in paths]
    try:
        df.to_csv(tmp[0], index=False)
        df.to_parquet(tmp[1], index=False)
        for t, p in zip(tmp, paths, strict=True):
            t.replace(p)
    finally:
        for t in tmp:
            t.unlink(missing_ok=True)
    return paths
