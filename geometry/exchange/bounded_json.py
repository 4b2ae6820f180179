"""JSON text read within limits: so many bytes, so many levels of nesting, finite numbers only.

Python's ``json`` reads ``NaN`` and ``Infinity`` (which are not JSON), turns ``1e999`` into infinity and
recurses once per level of nesting, so ten thousand ``[`` end in a ``RecursionError``. Whatever reads JSON from
outside (request bodies, pagination cursors, options files) reads it here: the size and the depth are checked on
the text, before the parser sees it, and the numbers as they are parsed.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np

from geometry.errors import InputError, InputTooLargeError

# A JSON string, escapes included (the unrolled form of "(?:[^"\\]|\\.)*": linear, no backtracking).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
# ``\u0000`` written in a string: the escape, after an even number of backslashes (an odd number escapes it).
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
_OPENERS = np.frombuffer(b"[{", dtype=np.uint8)
_CLOSERS = np.frombuffer(b"]}", dtype=np.uint8)


class JsonTooDeepError(InputError):
    """JSON nested deeper than the reader allows."""

    code = "json_too_deep"


class JsonNumberError(InputError):
    """A number that is not finite (``NaN``, ``Infinity``, or one past the float range such as ``1e999``)."""

    code = "non_finite_number"


class JsonNulError(InputError):
    """JSON that holds a NUL character in a string (no database stores it, so no text here may hold it)."""

    code = "nul_character"


def json_depth(text: str) -> int:
    """Levels of arrays and objects nested in JSON ``text`` (0 for a bare value); brackets inside strings do
    not count. Read without parsing, so it is safe on text of any depth."""
    outside = _STRING.sub("", text).encode("utf-8", "surrogatepass")
    codes = np.frombuffer(outside, dtype=np.uint8)
    steps = np.isin(codes, _OPENERS).astype(np.int64) - np.isin(codes, _CLOSERS).astype(np.int64)
    return int(np.cumsum(steps).max(initial=0))


def has_nul(text: str) -> bool:
    """Whether JSON ``text`` writes a NUL character (``\\u0000``) in one of its strings."""
    return "\x00" in text or _NUL_ESCAPE.search(text) is not None


class _NotFinite(float):
    """A number JSON should not hold, as parsed while looking for where it is: keeps what was written."""

    written: str

    def __new__(cls, written: str) -> _NotFinite:
        number = super().__new__(cls, math.nan)
        number.written = written
        return number


class _NonFiniteSeenError(Exception):
    """A number that is not finite, met while parsing (where it is, is found afterwards)."""


def _refuse_constant(name: str) -> float:
    raise _NonFiniteSeenError


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NonFiniteSeenError
    return value


def _marked_float(text: str) -> float:
    value = float(text)
    return value if math.isfinite(value) else _NotFinite(text)


def _where_not_finite(text: str) -> tuple[str, str]:
    """(where, as written) of the first number in ``text`` that is not finite: ``last.stick_length_mm``,
    ``items.3``, or ``(root)``. The depth is checked already, so the walk's recursion is bounded."""
    value = json.loads(text, parse_constant=_NotFinite, parse_float=_marked_float)

    def walk(item: object, path: tuple[str, ...]) -> tuple[tuple[str, ...], str] | None:
        if isinstance(item, _NotFinite):
            return path, item.written
        children = item.items() if isinstance(item, dict) else enumerate(item) if isinstance(item, list) else ()
        for key, child in children:
            found = walk(child, (*path, str(key)))
            if found is not None:
                return found
        return None

    found = walk(value, ())
    if found is None:  # cannot happen: the first parse met one
        return "(root)", "?"
    path, written = found
    return ".".join(path) or "(root)", written


def check_json_text(text: str, *, max_depth: int, source: str = "JSON") -> None:
    """Refuse ``text`` nested deeper than ``max_depth`` levels (``JsonTooDeepError``) or writing a NUL character
    (``JsonNulError``); the text is not parsed."""
    depth = json_depth(text)
    if depth > max_depth:
        raise JsonTooDeepError(f"{source} is nested {depth} levels deep; at most {max_depth} levels are read",
                               depth=depth, max_depth=max_depth)  # fmt: skip
    if has_nul(text):
        raise JsonNulError(f"{source} holds a NUL character (\\u0000) in a string: text may not hold it")


def load_json(raw: bytes | str, *, max_bytes: int, max_depth: int, source: str = "JSON") -> object:
    """The value of JSON ``raw`` (UTF-8 when bytes), refused when it is over ``max_bytes`` long
    (``InputTooLargeError``), nested deeper than ``max_depth`` (``JsonTooDeepError``), writes a NUL character
    (``JsonNulError``) or a number that is not finite (``JsonNumberError``). Text that is not JSON raises
    ``json.JSONDecodeError`` (or ``ValueError`` for an integer of thousands of digits), bytes that are not UTF-8
    ``UnicodeDecodeError``."""
    size = len(raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw)
    if size > max_bytes:
        raise InputTooLargeError(f"{source} is {size} bytes; at most {max_bytes} bytes are read",
                                 size_bytes=size, limit_bytes=max_bytes)  # fmt: skip
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    check_json_text(text, max_depth=max_depth, source=source)
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except _NonFiniteSeenError:
        where, written = _where_not_finite(text)
        raise JsonNumberError(f"{where} in {source} is {written[:40]}: numbers must be finite (NaN, Infinity and "
                              "numbers past about ±1.8e308 are not read)", field=where) from None


def value_depth(value: object) -> int:
    """Levels of lists and dicts nested in an already parsed value (0 for a scalar); read with a stack, not
    recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        children: list[object] | None = None
        if isinstance(item, dict):
            children = list(item.values())
        elif isinstance(item, list | tuple):
            children = list(item)
        if children is not None:
            deepest = max(deepest, depth + 1)
            stack.extend((child, depth + 1) for child in children)
    return deepest
