"""Race tests: two requests on two threads, one holding its transaction open while the other
reaches its write. A StatementSignal tells the first thread when the second one has sent
the statement the race is about (its UPDATE), so the first can commit at that moment."""
import threading

from sqlalchemy import event


class StatementSignal:
    """Set when the thread that armed it sends a statement starting with ``prefix``."""

    def __init__(self, prefix):
        self.prefix = prefix.upper()
        self.reached = threading.Event()
        self._engine = None
        self._spy = None

    def arm(self, engine):
        """Watch ``engine`` for this thread's statements (call it in the thread to watch)."""
        me = threading.get_ident()

        def spy(conn, cursor, statement, params, context, executemany):
            if threading.get_ident() == me and statement.lstrip().upper().startswith(self.prefix):
                self.reached.set()

        self._engine, self._spy = engine, spy
        event.listen(engine, "before_cursor_execute", spy)

    def disarm(self, release=True):
        """Stop watching; ``release`` also lets a waiting thread go on (the watched thread
        ended without reaching the statement: its outcome tells why)."""
        if self._engine is not None:
            event.remove(self._engine, "before_cursor_execute", self._spy)
            self._engine = None
        if release:
            self.reached.set()

    def wait(self, timeout):
        return self.reached.wait(timeout)
