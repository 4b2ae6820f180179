"""How a command fails: the exit codes, and the failure of work whose inputs were fine (an order whose run
failed). ``main()`` turns each into one line on stderr."""

from __future__ import annotations

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 1


class CommandFailedError(Exception):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code
