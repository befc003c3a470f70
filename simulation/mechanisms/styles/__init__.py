"""Networking styles: the structures people network in (seed 003).

Each module here holds one way a business community is organised, and a
built-in scenario (in ``simulation/builtin/scenarios/``) switches it on by
naming it in its ``pipeline``:

:class:`Chapters`   structured referral groups: chapters of about ``size``
                    members meet weekly, share what they see, and remove
                    members who keep refusing and never give.
:class:`Events`     a few large paid events a year; attendees pay a fee and
                    meet several other attendees.
:class:`Platforms`  online platforms as separate contexts: many weak ties,
                    interest homophily, public ratings, and introductions
                    across platforms through shared interests (seed 002).
:class:`Arrivals`   scheduled waves of newcomers with a given strategy.
:class:`Habits`     two ways of networking side by side: relationship
                    builders who maintain a few deep ties and collectors
                    who gather many shallow ones (seed 004).

Each reports what it did this week through a column or two of the per-step metrics
(``model.extra_metrics``).
"""

from . import arrivals, chapters, events, habits, platforms  # noqa: F401  (registers them)
from .arrivals import Arrivals
from .chapters import Chapters
from .events import Events
from .habits import Habits
from .platforms import Platforms

__all__ = ["Chapters", "Events", "Platforms", "Arrivals", "Habits"]
