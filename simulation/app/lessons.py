"""Guided lessons: a scenario, a few settings and what to watch for.

Each lesson ties one idea from the source articles on business networking
to a run students can watch.  Loading a lesson sets its scenario, settings
and seed; the text says what to look at and what to try next.  Each lesson
also states its ``claim``: what the model shows for its scenario over many
seeded runs, not only for the seed on screen.  The test suite
(``tests/test_lessons.py``) runs each lesson's scenario over ten or more seeds and
checks its claim with a one-sided rank test at the 1 % level; where the
model does not bear an idea from the articles out, the claim says so.

Examples
--------
>>> [lesson.title for lesson in LESSONS.values()][:3]
['You reap what you sow', 'Users and abusers drain the network', 'Structure versus no structure']
>>> LESSONS["reap_what_you_sow"].scenario
'referral_group'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape
from typing import Any

__all__ = ["Lesson", "LESSONS"]


@dataclass(frozen=True)
class Lesson:
    """A guided preset."""

    key: str
    title: str
    source: str  # the idea, quoted from the source article it comes from
    scenario: str
    overrides: dict[str, Any] = field(default_factory=dict)
    seed: int = 1
    story: str = ""  # what the run sets up
    claim: str = ""  # what the model shows over many seeded runs (tests/test_lessons.py checks it)
    watch: tuple[str, ...] = ()  # what to look at while it plays
    try_next: str = ""  # a change to make, then Reset
    #: the scenario ``try_next`` asks to run next for comparison: picking it keeps the lesson on
    #: the page, with its settings (the class size), so both runs are the ones ``claim`` compares
    compare_with: str = ""

    def html(self) -> str:
        """The lesson as HTML for the page (``**bold**`` and ``*italic*`` in the texts).

        Built here rather than by a Markdown renderer: Solara's Markdown loads
        KaTeX from a CDN, which a classroom without internet does not have.
        """
        watch = "".join(f"<li>{_inline(w)}</li>" for w in self.watch)
        return (
            f"<h3>{escape(self.title)}</h3><blockquote>{_inline(self.source)}</blockquote>"
            f"<p>{_inline(self.story)}</p>"
            f"<p><b>What the runs show</b> (ten or more seeds, not just this one): {_inline(self.claim)}</p>"
            f"<p><b>Watch for</b></p><ul>{watch}</ul>"
            f"<p><b>Then try:</b> {_inline(self.try_next)}</p>"
        )


def _inline(text: str) -> str:
    """Escape ``text`` and turn ``**bold**`` and ``*italic*`` into HTML.

    >>> _inline("a **b** and *c* < d")
    'a <b>b</b> and <i>c</i> &lt; d'
    """
    out = escape(text, quote=False)
    out = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out)
    return re.sub(r"\*(.+?)\*", r"<i>\1</i>", out)


_CLASS = {"population.size": 200}

LESSONS: dict[str, Lesson] = {
    lesson.key: lesson
    for lesson in [
        Lesson(
            key="reap_what_you_sow",
            title="You reap what you sow",
            source=(
                "“The old axioms ‘you’ll reap what you sow’ or ‘give and you shall receive’ have never "
                "been truer than when applied to social networking.” — *Social Networking for Business*"
            ),
            scenario="referral_group",
            overrides=dict(_CLASS),
            story=(
                "A referral group of 200 people in chapters that meet every week. Everyone's record is "
                "known in their chapter. Givers pay for every favour they do; takers only collect."
            ),
            claim=(
                "giving pays here. After 30 weeks givers are wealthier than takers and than matchers "
                "(who repay favours and help chapter-mates in good standing, not everyone who asks) in the "
                "same run."
            ),
            watch=(
                "**Mean wealth by strategy**: how far ahead of the takers are the givers after 10 weeks, "
                "and after 100?",
                "Click a green giver and then a red taker: compare *trust received* over time "
                "in the inspector.",
                "Thick ties gather around members who give; members who only take keep few of them.",
            ),
            try_next=(
                "open *Reputation and trust*, set **gossip** to 0 (nobody hears who helped whom) and "
                "press Reset. Does giving still pay?"
            ),
        ),
        Lesson(
            key="users_and_abusers",
            title="Users and abusers drain the network",
            source=(
                "“If you are a user and abuser of your network, only taking from others and giving "
                "nothing in return, you will bleed your network dry only to watch it crumble before "
                "your eyes.” — *Social Networking for Business*"
            ),
            scenario="taker_invasion",
            overrides={**_CLASS, "mechanisms.arrivals.at": 30},
            story=(
                "A healthy community of contributors and matchers. In week 30 a wave of takers "
                "arrives: they ask everyone and never give back."
            ),
            claim=(
                "the wave drains the community without making it crumble. Compared with the same "
                "community without the wave, fewer needs are met over the next 40 weeks and fewer "
                "givers are left; the takers end up with fewer ties than the others; and most needs are "
                "still met."
            ),
            watch=(
                "**Members by strategy** jumps in week 30: where do the newcomers (black outline) "
                "settle in the picture?",
                "Do the takers end up pushed to the edge with few ties, or does the "
                "**fulfilment rate** fall for everyone?",
                "Faded grey circles are members whose business failed and who left.",
            ),
            try_next=(
                "make the wave bigger (*Networking style* → **share** 1.0) or stop gossip, then "
                "Reset: when does the community crumble instead of isolating the takers?"
            ),
        ),
        Lesson(
            key="structure",
            title="Structure versus no structure",
            source=(
                "“We are not a structured networking group, we don’t ask you to commit or become a "
                "member or even offer any help at all … no structure, no help, no relationships.” — "
                "*Networking*, Small Business Community Network"
            ),
            scenario="open_mixer",
            overrides=dict(_CLASS),
            story=(
                "An open mixer: many chance meetings, ties that start weak and fade within weeks, "
                "and no shared record of who helps whom."
            ),
            claim=(
                "structure protects. Over 30 weeks a referral group of the same size meets more of its "
                "members' needs than the open mixer, and its takers fall behind the average member, "
                "while in the open mixer the takers end up richer than the average member."
            ),
            watch=(
                "Ties appear and vanish quickly: few of them ever grow thick.",
                "Note the **fulfilment rate** and the **wealth** of each strategy after about 30 weeks: "
                "in **Mean wealth by strategy**, is the takers' line above or below the dashed black "
                "line, **all members** (the average member)?",
            ),
            try_next=(
                "keep the seed, pick the scenario **referral_group** (chapters that meet weekly, "
                "shared reputation) and play 30 weeks again. Compare the fulfilment rate and where "
                "the takers' line ends against the line of all members."
            ),
            compare_with="referral_group",
        ),
        Lesson(
            key="relationships_take_work",
            title="Relationships or numbers?",
            source=(
                "“Building and cultivating a network isn’t about how many ‘friends’ or ‘connections’ "
                "you have, it’s about truly building relationships … It also takes maintenance.” — "
                "*My network uses me*"
            ),
            scenario="relationships_vs_numbers",
            overrides=dict(_CLASS),
            story=(
                "Half the members keep a few deep relationships and work on them; the other half "
                "collect as many connections as they can and leave them be."
            ),
            claim=(
                "in this model numbers win, against the article: in weeks 10 to 40 collectors get help "
                "with a larger share of their needs than builders, and at week 40 they are wealthier. "
                "What does the model leave out that would make deep relationships pay?"
            ),
            watch=(
                "**Builders and collectors** (the two charts under the others): whose needs are "
                "met more often, and who is wealthier?",
                "Many thin ties flicker on and off; the thick ones last.",
                "Click a few members: the inspector says which habit each has. How many ties do they "
                "have, and how strong are their best ones?",
            ),
            try_next="open *Keeping ties*, set **decay** to 0 (ties never fade) and Reset.",
        ),
        Lesson(
            key="connectors",
            title="My network uses me: connectors",
            source=(
                "“Utilizing that network to benefit others is a key trait of a successful connector "
                "… Finally, my network uses me.” — *My network uses me*"
            ),
            scenario="connectors",
            overrides=dict(_CLASS),
            story=(
                "No events and no chance meetings: new relationships come from introductions. "
                "Connectors (pink) introduce two of their contacts when one needs what the other offers."
            ),
            claim=(
                "connectors keep the network going. Over 40 weeks, with a quarter of the members "
                "connectors, more needs are met and more members and ties remain than when the same "
                "share are matchers instead."
            ),
            watch=(
                "Where do the pink connectors sit in the picture: at the edge or between groups?",
                "Switch **Colour by** to *ecosystem* once ecosystems appear: do connectors join them?",
            ),
            try_next=(
                "set the **connector share** to 0 and the **matcher share** up by the same amount, "
                "then Reset. Does the network still grow?"
            ),
        ),
    ]
}
