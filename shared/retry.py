"""Retrying within a time budget, with jittered exponential backoff: one mechanism for the
database (transient SQL faults) and the model (429, timeouts, 5xx)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

RETRY = 0.0
"""What ``classify`` returns for "retry after the usual backoff"."""


class BudgetSpent(Exception):
    """Retrying gave up; ``__cause__`` is the last error."""

    def __init__(self, attempts: int) -> None:
        super().__init__(f"gave up after {attempts} attempts")
        self.attempts = attempts


def within_budget(call: Callable[[float], T], classify: Callable[[Exception], float | None], budget: float, *,
                  first_delay: float, max_delay: float) -> T:
    """``call(remaining_seconds)`` until it returns.

    ``classify`` says what an error means: ``None``, not retryable (re-raised at once);
    :data:`RETRY`, retry after the backoff; a positive number, retry after that many
    seconds (a server's ``Retry-After``). When the next wait would outlast the budget,
    :class:`BudgetSpent` is raised from the last error.
    """
    deadline = time.monotonic() + budget
    delay = first_delay
    attempts = 0
    while True:
        attempts += 1
        try:
            return call(max(0.0, deadline - time.monotonic()))
        except Exception as exc:
            wait = classify(exc)
            if wait is None:
                raise
            wait = wait or delay * (0.5 + random.random())  # noqa: S311 - jitter, not cryptography
            if time.monotonic() + wait > deadline:
                raise BudgetSpent(attempts) from exc
            time.sleep(wait)
            delay = min(delay * 2, max_delay)
