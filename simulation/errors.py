"""Errors a user can fix: the command line prints them as one line and exits with code 2."""

__all__ = ["InputError"]


class InputError(Exception):
    """Invalid input (file, key or value); the message is one line and says what was expected."""
