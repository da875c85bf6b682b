"""``python -m hvrt``: the same command line as the ``hvrt`` console script."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    main()
