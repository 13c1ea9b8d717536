"""Progress of long work (exports, imports) for whoever is watching.

Code deep in an engine (the xlsx reader, a module's ``import_rows``) reports how far it is
without knowing who listens::

    from app.core import progress

    progress.report("checking", done=n, total=rows)   # cheap: throttled by the listener
    progress.checkpoint()                              # raises Cancelled if the user cancelled

Outside a background task nobody listens and both calls cost a dictionary look-up. The task
engine (app/core/tasks.py) installs a listener for the task it runs with :func:`listening`;
the listener stores the figures on the task row at most every ``interval`` seconds and
answers whether the user asked to cancel. ``checkpoint`` only raises in phases that may still
be stopped: once an import has started writing, it finishes (all or nothing) and a cancel
asked meanwhile is refused.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import contextmanager

PHASES = ("queued", "reading", "checking", "writing", "exporting", "done")


class Cancelled(Exception):
    """The user cancelled the task: stop, keep nothing."""


class _State(threading.local):
    listener: Callable[[str, int, int | None], bool] | None = None
    phase: str | None = None


_state = _State()


@contextmanager
def listening(listener: Callable[[str, int, int | None], bool]):
    """Route this thread's reports to ``listener(phase, done, total) -> cancel_requested``."""
    previous, previous_phase = _state.listener, _state.phase
    _state.listener, _state.phase = listener, None
    try:
        yield
    finally:
        _state.listener, _state.phase = previous, previous_phase


def active() -> bool:
    return _state.listener is not None


def report(phase: str, done: int, total: int | None = None) -> bool:
    """Tell the listener how far ``phase`` is; True when the user asked to cancel."""
    listener = _state.listener
    if listener is None:
        return False
    _state.phase = phase
    return bool(listener(phase, done, total))


def checkpoint(phase: str | None = None, done: int | None = None, total: int | None = None) -> None:
    """Report (when figures are given) and raise :class:`Cancelled` if the user asked to stop."""
    listener = _state.listener
    if listener is None:
        return
    phase = phase or _state.phase or "checking"
    if phase == "writing":
        # The write phase of an import is all or nothing: it is never cut short.
        report(phase, done or 0, total)
        return
    if report(phase, done if done is not None else -1, total):
        raise Cancelled()
