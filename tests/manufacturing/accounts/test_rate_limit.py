"""The login rate limit's rule, on hand-made attempt histories."""

from datetime import UTC, datetime, timedelta

from manufacturing.accounts.rate_limit import Attempt, LoginPolicy, retry_after_s

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
POLICY = LoginPolicy(window=timedelta(minutes=15), max_failures_per_email=5, max_failures_per_client=20)


def failures(*minutes_ago: float) -> list[Attempt]:
    return [Attempt(NOW - timedelta(minutes=m), succeeded=False) for m in minutes_ago]


def test_four_failures_still_allow_a_try_and_the_fifth_locks_until_the_oldest_leaves_the_window() -> None:
    assert retry_after_s(failures(1, 2, 3, 4), [], NOW, POLICY) == 0
    # The oldest of the five counted failures (10 min ago) leaves the 15-minute window in 5 minutes.
    assert retry_after_s(failures(1, 2, 3, 4, 10), [], NOW, POLICY) == 300


def test_failures_before_the_last_success_or_outside_the_window_do_not_count() -> None:
    history = [*failures(1, 2, 3), Attempt(NOW - timedelta(minutes=4), succeeded=True), *failures(5, 6)]
    assert retry_after_s(history, [], NOW, POLICY) == 0
    assert retry_after_s(failures(1, 2, 3, 4, 16, 20), [], NOW, POLICY) == 0


def test_one_client_trying_many_addresses_is_locked_on_its_own_count() -> None:
    spray = failures(*[0.5 * k for k in range(1, 21)])  # 20 failures over 10 minutes, any addresses
    assert retry_after_s([], spray, NOW, POLICY) == 5 * 60
    assert retry_after_s([], spray[:19], NOW, POLICY) == 0
