"""Wall-clock time of each heavy step, for the note that says which engine ran and how long."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
class StepTimer:
    """Record how long named steps took, in the order they ran.

    Attributes
    ----------
    engine : str
        Engine that ran the steps (``local``, ``duckdb``, ``spark``).
    detail : str
        Where it ran (a Spark master URL, a DuckDB memory limit); shown next to the engine.
    steps : list of (str, float)
        Step name and seconds, in run order (a step run twice appears twice).

    Examples
    --------
    >>> timer = StepTimer("local")
    >>> with timer.step("read"):
    ...     pass
    >>> timer.table().columns.tolist()
    ['step', 'seconds']
    """

    engine: str = "local"
    detail: str = ""
    steps: list[tuple[str, float]] = field(default_factory=list)
    config: Any = None  # the EngineConfig the steps ran with, when known

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time the ``with`` block as step ``name`` (recorded even when the block raises)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.steps.append((name, time.perf_counter() - start))

    def add(self, name: str, seconds: float) -> None:
        """Record a step timed elsewhere (e.g. a RuleSet's own ``seconds``)."""
        self.steps.append((name, float(seconds)))

    def table(self) -> pd.DataFrame:
        """Steps as rows: ``step``, ``seconds`` (rounded to milliseconds)."""
        frame = pd.DataFrame(self.steps, columns=["step", "seconds"])
        frame["seconds"] = frame["seconds"].astype(float).round(3)
        return frame

    def total(self) -> float:
        """Seconds over all steps."""
        return float(sum(s for _, s in self.steps))

    def as_dict(self) -> dict[str, float]:
        """``{step: seconds}`` (repeated steps summed), for ``record``."""
        out: dict[str, float] = {}
        for name, seconds in self.steps:
            out[name] = round(out.get(name, 0.0) + seconds, 3)
        return out
