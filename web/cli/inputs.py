"""Reading the files a command is given: one check, one error, one size limit per kind of input, whichever
command reads them."""

from __future__ import annotations

from pathlib import Path

from geometry.errors import InputError, InputTooLargeError


def read_input_file(path: Path, max_bytes: int) -> bytes:
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file", path=str(path))
    size = path.stat().st_size
    if size > max_bytes:
        raise InputTooLargeError(f"{path} is {size} bytes, over the limit of {max_bytes}", path=str(path))
    return path.read_bytes()
