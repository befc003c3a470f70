"""Sub-commands of ``givetake``: one module each, with ``register(subparsers)``."""
