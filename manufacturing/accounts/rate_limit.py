"""The login rate limit, decided from the stored attempts (so every web process applies the same limit).

An address is locked after ``max_failures_per_email`` failures since its last success within the window; a
client (IP address) after ``max_failures_per_client`` failures within the window, whatever addresses it
tries (credential stuffing). The lock lifts when the oldest counted failure leaves the window."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class LoginPolicy:
    window: timedelta = timedelta(minutes=15)
    max_failures_per_email: int = 5
    max_failures_per_client: int = 20


@dataclass(frozen=True)
class Attempt:
    at: datetime
    succeeded: bool


def _failures_since_success(attempts: Sequence[Attempt], since: datetime) -> list[datetime]:
    last_success = max((a.at for a in attempts if a.succeeded), default=None)
    start = since if last_success is None else max(since, last_success)
    return sorted(a.at for a in attempts if not a.succeeded and a.at > start)


def retry_after_s(
    by_email: Sequence[Attempt], by_client: Sequence[Attempt], now: datetime, policy: LoginPolicy
) -> float:
    """Seconds until a login may be tried again (0: allowed now)."""
    since = now - policy.window
    waits = [0.0]
    email_failures = _failures_since_success(by_email, since)
    if len(email_failures) >= policy.max_failures_per_email:
        oldest = email_failures[-policy.max_failures_per_email]
        waits.append((oldest + policy.window - now).total_seconds())
    client_failures = sorted(a.at for a in by_client if not a.succeeded and a.at > since)
    if len(client_failures) >= policy.max_failures_per_client:
        oldest = client_failures[-policy.max_failures_per_client]
        waits.append((oldest + policy.window - now).total_seconds())
    return max(waits)
