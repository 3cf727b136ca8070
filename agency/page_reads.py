"""What a page's panels ask again and again, read once while the page renders.

The case page is drawn by a dozen panels from several packages, and each asks what it needs: the balance, the
contact rules' facts, the queue score, the open dispute, the proceedings… Asked separately, the same rows were
read five or nine times per page. A view that only renders wraps its work in `reading_once()`; a reader marked
`@read_once` then computes each answer once inside it and gives the same answer to every later asker. Outside
that window (a POST that writes, a job, a test calling the function) nothing is remembered, so no write can ever
be followed by a stale read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import g, has_app_context

P = ParamSpec("P")
R = TypeVar("R")
_MEMO = "_page_reads"


@contextmanager
def reading_once() -> Iterator[None]:
    """Remember what `@read_once` readers answer until the block ends (nested blocks share the outer memory)."""
    if g.get(_MEMO) is not None:
        yield
        return
    setattr(g, _MEMO, {})
    try:
        yield
    finally:
        g.pop(_MEMO, None)


def read_once(key: Callable[..., Any] | None = None) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Mark a reader whose answer may be shared within `reading_once()`.

    `key` receives the reader's arguments and returns what identifies the answer (by default the arguments
    themselves); it leaves out what varies without changing the answer within one page, such as the moment
    of a `datetime` taken a few milliseconds apart.
    """

    def decorate(reader: Callable[P, R]) -> Callable[P, R]:
        @wraps(reader)
        def shared(*args: P.args, **kwargs: P.kwargs) -> R:
            memo = g.get(_MEMO) if has_app_context() else None
            if memo is None:
                return reader(*args, **kwargs)
            found = (reader, key(*args, **kwargs) if key else (args, tuple(sorted(kwargs.items()))))
            if found not in memo:
                memo[found] = reader(*args, **kwargs)
            return memo[found]

        return shared

    return decorate
