"""The allocation module's clock: every window, deadline and publicity check asks :func:`now`.

One function so that tests (and the browser flow) can move time for the whole module by
replacing ``app.allocation.clock.now``; callers always write ``clock.now()``."""
from datetime import datetime


def now():
    return datetime.now().replace(microsecond=0)
