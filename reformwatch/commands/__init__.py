"""One module per command group; each exposes ``register(subparsers)``.

Handlers import their stage lazily so that ``reformwatch --help`` stays fast.
"""
