"""Classroom mode: students play members of one shared model from their own browsers.

:mod:`~simulation.classroom.session` holds the class (seats, join code, weeks,
decisions, saving), :mod:`~simulation.classroom.strategy` the strategy through
which a student's choices reach the model, :mod:`~simulation.classroom.debrief`
the end-of-class comparison and export, and :mod:`~simulation.classroom.pages`
the teacher's and the students' pages (``givetake classroom``).
"""

from .session import ClassSession, NotAuthorised, Refused, Seat
from .strategy import Student

__all__ = ["ClassSession", "NotAuthorised", "Refused", "Seat", "Student"]
