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


class StepLog:
    """Logs one line per step of a fit, each with the seconds since the fit began.

    Parameters
    ----------
    enabled : bool
        The estimator's ``verbose``; when False every call is a no-op.
    owner : str
        Who speaks (the estimator's class name).
    """

    def __init__(self, enabled: bool, owner: str) -> None:
        self.enabled = bool(enabled)
        self.owner = owner
        self.start = time.perf_counter()
        if self.enabled:
            _make_visible()

    def __call__(self, message: str) -> None:
        if self.enabled:
            LOGGER.info("%s: %s [%.2f s]", self.owner, message, time.perf_counter() - self.start)
