"""Errors a user can fix: the command line prints them as one line and exits with code 2."""

__all__ = ["InputError", "ScenarioError"]


class InputError(Exception):
    """Invalid input (file, key or value); the message is one line and says what was expected."""


class ScenarioError(InputError, ValueError):
    """Invalid scenario content: names the source, the key and what was expected."""

    def __init__(self, source: str, key: str, message: str):
        self.source, self.key = source, key
        super().__init__(f"{source}: {key}: {message}" if key else f"{source}: {message}")
