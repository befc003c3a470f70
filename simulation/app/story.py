"""The ecosystem log told as a story: counts per detection and a few notable events.

The tracker (:class:`~simulation.ecosystems.EcosystemTracker`) records every
birth, growth, contraction, merge, split and death of every ecosystem; in a
classroom that is a flood of rows in which a "death" may only mean that the
members regrouped.  Here each detection becomes one *chapter*: how many
ecosystems there are, how many formed, grew, shrank, merged, split, and —
for each ecosystem that is gone — whether its members **left** the network
(``ended``) or stayed and regrouped (``dissolved``), found from where its
members are now.  A few notable events are told in words
("E12 split into E12 (30) and E15 (12)", "E3 ended: 18 of its 25 members
left the network").

Examples
--------
>>> import numpy as np
>>> from simulation.ecosystems import EcosystemTracker
>>> t = EcosystemTracker()
>>> groups0 = [np.arange(0, 10), np.arange(10, 16)]
>>> groups1 = [np.arange(0, 5), np.arange(5, 10)]  # E0 splits; E1's members left
>>> t.update(0, groups0), t.update(10, groups1)
([0, 1], [0, 2])
>>> left = np.full(16, -1)
>>> left[10:16] = 7
>>> snaps = {0: dict(zip([0, 1], groups0)), 10: dict(zip([0, 2], groups1))}
>>> ch = chapters(t.events, snaps, left)[-1]
>>> ch.summary()
'2 ecosystems (was 2): 1 split, 1 ended'
>>> ch.notable
['E0 split into E0 (5) and E2 (5)', 'E1 ended: 6 of its 6 members left the network']
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Chapter", "KINDS", "chapters", "totals", "name"]

#: what a chapter counts, in the order it says them
KINDS = ("formed", "grew", "shrank", "merged", "split", "dissolved", "ended")

#: tracker event -> chapter kind (deaths are told apart by where the members went)
_KIND = {"birth": "formed", "growth": "grew", "contraction": "shrank", "merge": "merged", "split": "split"}

#: at least this many ecosystems dissolving at one detection are told as one regrouping
REGROUP = 3


def name(ecosystem: int) -> str:
    """How the page names an ecosystem: ``E12``."""
    return f"E{ecosystem}"


def _ids(text: str) -> list[int]:
    return [int(x) for x in str(text).split(",") if x.strip()]


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


@dataclass(frozen=True)
class Chapter:
    """One detection of ecosystems, told briefly.

    ``counts`` holds every kind of :data:`KINDS`; ``notable`` a few events in
    words, the most telling first.
    """

    step: int
    ecosystems: int
    before: int
    counts: dict[str, int]
    notable: list[str] = field(default_factory=list)
    #: members of the ecosystems that dissolved or ended, and how many of them left
    gone_members: int = 0
    gone_left: int = 0

    def summary(self) -> str:
        """``13 ecosystems (was 12): 13 formed, 12 dissolved`` (``no change`` when nothing happened)."""
        said = [f"{self.counts[k]} {k}" for k in KINDS if self.counts[k]]
        head = f"{self.ecosystems} ecosystem{'s' if self.ecosystems != 1 else ''}"
        if self.step > 0 or self.before:
            head += f" (was {self.before})"
        return f"{head}: {', '.join(said) if said else 'no change'}"


def chapters(
    events: Sequence[Mapping[str, Any]],
    snapshots: Mapping[int, Mapping[int, np.ndarray]],
    left: np.ndarray,
    notable: int = 3,
) -> list[Chapter]:
    """The story of a run's ecosystems, one :class:`Chapter` per detection, oldest first.

    Parameters
    ----------
    events : the tracker's event rows (``step, event, ecosystem, size, previous_size,
        sources, targets``).
    snapshots : week of each detection -> ecosystem id -> its members (slots) then.
    left : week each member left the network (-1 while in), by slot.
    notable : at most this many events told in words per detection.
    """
    by_step: dict[int, list[Mapping[str, Any]]] = {}
    for e in events:
        by_step.setdefault(int(e["step"]), []).append(e)
    steps = sorted(snapshots)
    out = []
    for i, step in enumerate(steps):
        now = snapshots[step]
        prev = snapshots[steps[i - 1]] if i else {}
        out.append(_chapter(step, by_step.get(step, []), prev, now, left, notable))
    return out


def _chapter(
    step: int,
    events: list[Mapping[str, Any]],
    prev: Mapping[int, np.ndarray],
    now: Mapping[int, np.ndarray],
    left: np.ndarray,
    limit: int,
) -> Chapter:
    where: dict[int, int] = {}  # member -> ecosystem now
    for eid, members in now.items():
        where.update(dict.fromkeys(np.asarray(members).tolist(), int(eid)))
    size_now = {int(k): len(v) for k, v in now.items()}
    counts = dict.fromkeys(KINDS, 0)
    told: list[tuple[int, float, str]] = []  # (priority, -weight, text): smaller first
    dissolved: list[tuple[int, int, Counter, int]] = []  # (id, size, where its members are, left)
    gone_members = gone_left = 0
    for e in events:
        kind, eid = e["event"], int(e["ecosystem"])
        if kind != "death":
            counts[_KIND[kind]] += 1
        if kind == "split":
            parts = [f"{name(t)} ({size_now.get(t, 0)})" for t in _ids(e["targets"])]
            told.append((0, -e["previous_size"], f"{name(eid)} split into {_and(parts)}"))
        elif kind == "merge":
            src = [name(s) for s in _ids(e["sources"])]
            told.append((1, -e["size"], f"{_and(src)} merged into {name(eid)} ({e['size']})"))
        elif kind == "death":
            members = np.asarray(prev.get(eid, np.zeros(0, np.int64)), np.int64)
            size = len(members) or int(e["previous_size"])
            lw = left[members] if len(members) else np.zeros(0)
            gone = int(((lw >= 0) & (lw <= step)).sum())
            gone_members += size
            gone_left += gone
            if size and gone * 2 >= size:
                counts["ended"] += 1
                told.append((2, -size, f"{name(eid)} ended: {gone} of its {size} members left the network"))
            else:
                counts["dissolved"] += 1
                dest = Counter(where[m] for m in members.tolist() if m in where)
                dissolved.append((eid, size, dest, gone))
        elif kind == "birth" and step > 0:
            told.append((5, -e["size"], f"{name(eid)} formed ({e['size']} members)"))
        elif kind in ("growth", "contraction"):
            verb = "grew" if kind == "growth" else "shrank"
            change = abs(e["size"] - e["previous_size"])
            told.append((6, -change, f"{name(eid)} {verb} from {e['previous_size']} to {e['size']}"))
    if len(dissolved) >= REGROUP:
        members = sum(d[1] for d in dissolved)
        stayed = members - sum(d[3] for d in dissolved)
        dest = set().union(*(d[2].keys() for d in dissolved))
        told.append(
            (
                -1,
                0,
                f"{len(dissolved)} ecosystems dissolved and their members regrouped: {stayed} of their "
                f"{members} members stayed in the network, now in {len(dest)} ecosystems",
            )
        )
    else:
        for eid, size, dest, gone in dissolved:
            if dest:
                now_in = _and([f"{name(d)} ({n})" for d, n in dest.most_common(3)])
                text = f"{name(eid)} dissolved: {size - gone} of its {size} members stayed, now in {now_in}"
            else:
                text = (
                    f"{name(eid)} dissolved: {size - gone} of its {size} members stayed, in no ecosystem now"
                )
            told.append((3, -size, text))
    told.sort(key=lambda t: (t[0], t[1]))
    return Chapter(
        step=step,
        ecosystems=len(now),
        before=len(prev),
        counts=counts,
        notable=[t for _, _, t in told[:limit]],
        gone_members=gone_members,
        gone_left=gone_left,
    )


def totals(story: Sequence[Chapter]) -> dict[str, int]:
    """Each kind of :data:`KINDS` summed over the chapters after the first detection."""
    out = dict.fromkeys(KINDS, 0)
    for ch in story:
        if ch.step == 0 and not ch.before:
            continue  # the first detection only finds what is there
        for k in KINDS:
            out[k] += ch.counts[k]
    return out
