"""Mechanisms of the classic evolutionary games on graphs (the game itself is :mod:`simulation.games`)."""

from .play import Play
from .update import Update

__all__ = ["Play", "Update"]
