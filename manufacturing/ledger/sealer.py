"""The periodic seal: a daemon thread (in every worker; the seal lock makes them take turns) that seals past
days and, once the last seal is ``CSPMS_LEDGER_SEAL_INTERVAL_S`` old, every entry recorded since, publishing
each root. A failure is logged and tried again on the next tick: sealing must never stop the worker."""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from manufacturing.db.session import make_engine, make_session_factory, session_scope
from manufacturing.ledger.publish import roots_file
from manufacturing.ledger.service import SealOutcome, seal_committed, seal_days
from manufacturing.settings import Settings

log = logging.getLogger(__name__)

_MAX_TICK_S = 60.0  # how soon a due seal is noticed


class IntervalSealer:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sessions = sessions
        self.interval_s = settings.ledger_seal_interval_s
        self.tick_s = min(self.interval_s, _MAX_TICK_S)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._warned = False

    def tick(self) -> SealOutcome | None:
        """Seal what is due now; None when it could not (logged)."""
        try:
            file = roots_file(self.settings)
            with session_scope(self.sessions) as session:
                seal_days(session)
            outcome = seal_committed(self.sessions, file, min_interval_s=self.interval_s)
        except Exception:
            if not self._warned:  # once: a missing key or a database away would repeat on every tick
                log.exception("the ledger could not be sealed; retrying every %.0f s", self.tick_s)
                self._warned = True
            return None
        self._warned = False
        if outcome.seal is not None:
            log.info("ledger seal #%d: %d entries, root %s", outcome.seal.number, outcome.seal.leaves,
                     outcome.seal.root)  # fmt: skip
        return outcome

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="ledger-sealer", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.tick_s):
            self.tick()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)


def start_interval_sealer(settings: Settings) -> IntervalSealer:
    """Start sealing on the interval, on connections of its own: no pooled connection outlives a tick, so
    processes forked later (a worker's pool) never inherit one."""
    engine = make_engine(settings.resolved_database_url, poolclass=NullPool)
    sealer = IntervalSealer(settings, make_session_factory(engine))
    sealer.start()
    return sealer
