"""What happens in one week, as the mechanisms record it: :class:`Tick` and :class:`Requests`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Tick", "Requests"]


def _empty() -> np.ndarray:
    return np.zeros(0, np.int64)


@dataclass(frozen=True, slots=True)
class Requests:
    """Requests for help along ties, as aligned arrays, always in this order:

    ``giver`` the asked member, ``asker`` the member who asked, ``edge`` the tie between
    them, ``side`` the asker's direction on that tie (so the giver's is ``1 - side``:
    ``ties.trust[edge, side]`` is the asker's trust in the giver), and ``round`` the
    place of the request in the asker's line (``0``: asked first).

    Tie indices stay valid until the end of the step: the tie arrays are compacted only
    between steps (:meth:`GiveTakeModel.step`).
    """

    giver: np.ndarray = field(default_factory=_empty)
    asker: np.ndarray = field(default_factory=_empty)
    edge: np.ndarray = field(default_factory=_empty)
    side: np.ndarray = field(default_factory=_empty)
    round: np.ndarray = field(default_factory=_empty)

    def __len__(self) -> int:
        return len(self.giver)

    def take(self, idx: np.ndarray) -> Requests:
        """The requests at positions ``idx``."""
        return Requests(self.giver[idx], self.asker[idx], self.edge[idx], self.side[idx], self.round[idx])


#: the requests of a week with none: one instance for every fresh :class:`Tick` (frozen, and its
#: arrays are empty, so nothing can be written into them), rather than five new arrays for each
#: of its three fields every week
_NO_REQUESTS = Requests()


def _nothing() -> Requests:
    return _NO_REQUESTS


@dataclass(slots=True)
class Tick:
    """What happened during the current step (a fresh one at the start of each step).

    The shape is fixed (``slots``): a mechanism that wants to record something else
    keeps it on itself and reports it through ``model.extra_metrics``.  Every count
    here is also a per-step metric (``docs/metrics.md``).
    """

    needs: int = 0  #: members with a need this week
    requests: int = 0  #: requests made (asks that reached a contact)
    plan: Requests = field(default_factory=_nothing)  #: every planned request, in asking order (``asking``)
    gifts: Requests = field(default_factory=_nothing)  #: requests granted (``giving``)
    refusals: Requests = field(default_factory=_nothing)  #: requests refused (``giving``)
    welfare: float = 0.0  #: sum of all changes of wealth this week (``GiveTakeModel.pay``)
    joined: int = 0  #: members who arrived
    left: int = 0  #: members who left, for any reason
    failed: int = 0  #: members who left because their business failed
    expelled: int = 0  #: members removed by their group (e.g. referral-group strikes)
    ties_made: int = 0  #: new ties, by any mechanism (``contacts.connect``)
    ties_cut: int = 0  #: ties cut on purpose (exploitation, distrust)
    ties_dissolved: int = 0  #: ties that decayed below the minimum strength
    referrals: int = 0  #: clients passed on to a contact (``referrals``)
    introductions: int = 0  #: ties made by introductions (asked for or brokered)
