"""Ecosystems: which groups form, grow, split, merge or collapse, and why.

An *ecosystem* (seed 000) is a community of the strength-weighted tie graph:
members who work with each other more than with the rest.  The
:class:`~simulation.mechanisms.ecosystems.Ecosystems` mechanism finds them every ``every`` steps by seeded
modularity optimisation (:func:`detect_communities`: igraph's Leiden, started
from the previous detection, or networkx's Louvain, Blondel et al. 2008),
follows them from one detection to the next by membership overlap
(:class:`EcosystemTracker`,
Jaccard index, after Greene, Doyle & Cunningham 2010) and names what happened
to each with the events of Palla, Barabási & Vicsek (2007, *Nature* 446:664):
birth, growth, contraction, merge, split and death.  At the end of a run it
measures who is influential (:func:`influence_measures`).  (The verdict on the
whole run is in :mod:`simulation.verdict`.)
Definitions of every column and criterion are in ``docs/ecosystems.md``.

Outputs of a run
----------------
tables ``ecosystems`` (one row per ecosystem per detection), ``events`` (one
row per event), ``ecosystem_lives`` (one row per ecosystem,
:func:`life_stories`) and ``influence`` (one row per member at the end); in
the summary ``ecosystem_events`` (count per event), ``ecosystem_method``,
``ecosystem_stats`` and ``influence`` (correlations with rank); per-step
metrics ``ecosystems`` (count), ``largest_ecosystem`` (share of members in
the largest one) and ``ecosystems_week`` (the week of the detection they come from;
NaN before the first).

Live accessors (for the app)
----------------------------
``model.mechanism("ecosystems").current``
    dict member slot -> ecosystem id at the last detection (members in no
    ecosystem are absent).
``.labels``
    the same as a numpy array over slots (-1: no ecosystem).
``.events``
    list of event rows (dicts with the columns of ``events``) so far.
``.rows``
    list of ecosystem rows (dicts with the columns of ``ecosystems``) so far.

Examples
--------
>>> tracker = EcosystemTracker(jaccard=0.3)
>>> tracker.update(0, [{1, 2, 3, 4}, {5, 6, 7, 8}])
[0, 1]
>>> tracker.update(10, [{1, 2, 3, 4, 5, 6, 7, 8}])  # the two fuse
[0]
>>> [(e["event"], e["sources"], e["targets"]) for e in tracker.events if e["step"] == 10]
[('merge', '0,1', '0')]
"""

from .detection import TieGraphKeeper, community_backend, detect_communities, groups_from_labels
from .influence import burt_constraint, burt_effective_size, influence_measures, trust_pagerank
from .life import format_ids, life_stories, parse_ids
from .tracking import EVENTS, EcosystemTracker

__all__ = [
    "EVENTS",
    "EcosystemTracker",
    "detect_communities",
    "TieGraphKeeper",
    "community_backend",
    "groups_from_labels",
    "influence_measures",
    "burt_constraint",
    "burt_effective_size",
    "trust_pagerank",
    "format_ids",
    "parse_ids",
    "life_stories",
]
