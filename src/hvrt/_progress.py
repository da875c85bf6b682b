"""What the estimators say about their long steps when ``verbose=True``, through :mod:`logging`.

Messages go to the ``"hvrt"`` logger at INFO level. An application that configures logging
decides where they go; when nothing is configured, the first verbose fit adds one handler
that writes ``[hvrt] ...`` lines to the current ``sys.stderr``, so ``verbose=True`` shows
something without any set-up. The command line uses the same lines for its progress.
"""

from __future__ import annotations

import logging
import sys
import time

LOGGER = logging.getLogger("hvrt")


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (test runners and tqdm replace it)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("[hvrt] %(message)s"))

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def _make_visible() -> None:
    if LOGGER.level == logging.NOTSET:
        LOGGER.setLevel(logging.INFO)
    if not LOGGER.handlers and not logging.getLogger().handlers:
        LOGGER.addHandler(_StderrHandler())


# The command line's start, when a command runs: every step line then counts from it, so the
# command's own steps and its estimator's (logged in between) read as one timeline.
_shared_start: float | None = None


def share_start(start: float | None) -> None:
    """Count every :class:`StepLog`'s seconds from ``start`` (a ``time.perf_counter()``), or,
    with None, each from its own creation again."""
    global _shared_start
    _shared_start = start


class StepLog:
    """Logs one line per step of a fit, each with the seconds since the fit began (or since
    the command began, under the command line: see :func:`share_start`).

    Parameters
    ----------
    enabled : bool
        The estimator's ``verbose``; when False every call is a no-op.
    owner : str
        Who speaks (the estimator's class name); empty for the command line's own steps, whose
        lines the handler's ``[hvrt]`` already names.
    """

    def __init__(self, enabled: bool, owner: str) -> None:
        self.enabled = bool(enabled)
        self.owner = owner
        self.start = time.perf_counter() if _shared_start is None else _shared_start
        if self.enabled:
            _make_visible()

    def __call__(self, message: str) -> None:
        if not self.enabled:
            return
        seconds = time.perf_counter() - self.start
        if self.owner:
            LOGGER.info("%s: %s [%.2f s]", self.owner, message, seconds)
        else:
            LOGGER.info("%s [%.2f s]", message, seconds)
