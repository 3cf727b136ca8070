"""What the packages above `cases` add to a case, without `cases` importing them.

Imports run one way (`money → cases`), yet the case page shows money's panels, the case's history
tells its payments and plan steps, the queue puts a case whose plan broke back at the top as it does
for a broken promise, and no demand for payment goes while a plan runs. Each of those places asks
here; the package that knows registers its part when it is imported (`money/case_parts.py`; the app
imports every package at start, a worker every job module, so the parts are there before any use).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# The case page's main column, in this order; `add_panel` slots others in by their order number.
_panels: dict[str, list[tuple[int, str]]] = {
    "side": [],
    "main": [(20, "cases/interest/_case_interest.html"), (40, "cases/letters/_panel.html")],
}
_history_sources: list[Callable[[Any], list]] = []
_broken_commitments: list[BrokenCommitment] = []
_demand_stoppers: dict[str, Callable[[Any], str | None]] = {}
_closing_hooks: list[Callable[[list[int], Any, str], None]] = []
_closed_hooks: list[Callable[[list[int]], None]] = []


@dataclass(frozen=True)
class BrokenCommitment:
    """A commitment of the debtor's (other than a promise) whose break puts the case back at the top.

    `flags(where)` returns SELECT (case_id, broken) over the cases where it broke recently with no call
    since (`recent_from` is bound by the queue); `where(column)` narrows it to some cases.
    """

    label: Any  # a lazy string: the reason the case screen shows for the points
    flags: Callable[[Callable[[Any], list]], Any]


def add_panel(slot: str, template: str, order: int) -> None:
    """Show `template` (it receives `case`, `internal`, `balance`) in the case page's `slot` ("side" or "main")."""
    entries = _panels[slot]
    if (order, template) not in entries:
        entries.append((order, template))
        entries.sort()


def panels(slot: str) -> list[str]:
    return [template for _order, template in _panels[slot]]


def add_history_source(source: Callable[[Any], list]) -> None:
    """`source(case)` returns `cases.timeline.Event`s for staff's view of the case's history."""
    if source not in _history_sources:
        _history_sources.append(source)


def history_sources() -> list[Callable[[Any], list]]:
    return list(_history_sources)


def add_broken_commitment(commitment: BrokenCommitment) -> None:
    if commitment not in _broken_commitments:
        _broken_commitments.append(commitment)


def broken_commitments() -> list[BrokenCommitment]:
    return list(_broken_commitments)


def add_demand_stopper(code: str, stopper: Callable[[Any], str | None]) -> None:
    """`stopper(case)` returns why no demand for payment may go now, or None.

    Like a running promise, it binds the strategy; a collector may go past it with a reason, and a
    formal notice's approval asks it again.
    """
    _demand_stoppers[code] = stopper


def demand_stoppers() -> dict[str, Callable[[Any], str | None]]:
    return dict(_demand_stoppers)


def add_closing_hook(hook: Callable[[list[int], Any, str], None]) -> None:
    """`hook(case_ids, actor, reason_code)` ends what the package runs on cases being closed (a running plan),
    set-based: a bulk closing passes thousands of cases at once."""
    if hook not in _closing_hooks:
        _closing_hooks.append(hook)


def closing_hooks() -> list[Callable[[list[int], Any, str], None]]:
    return list(_closing_hooks)


def add_closed_hook(hook: Callable[[list[int]], None]) -> None:
    """`hook(closing_ids)` asks for what follows closings once they are done (money's closing reports).

    Called at the end of a closing, when the write-off is posted and the case closed, so that a job the
    hook enqueues (run at once in embedded mode) reads the closed case.
    """
    if hook not in _closed_hooks:
        _closed_hooks.append(hook)


def closed_hooks() -> list[Callable[[list[int]], None]]:
    return list(_closed_hooks)
