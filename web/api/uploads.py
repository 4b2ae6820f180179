"""Uploads read from the request stream, after the route's sign-in check, refused at their limit as they come.

FastAPI reads an ``UploadFile`` form (to a temp file) before it runs the route's dependencies, so an anonymous
client could make the server write a gibibyte before its 401. Upload routes therefore declare no form
parameters: their dependencies (authentication, roles) run first, then ``read_upload_form`` refuses a
``Content-Length`` over the limit unread, and streams the multipart body through python-multipart's parser:
the file straight into a staged blob of the artifact store (hashed as it comes, 413 the moment it passes its
limit, whatever the headers said, chunked bodies too), the few small text fields into memory. The staged file
becomes a blob only when the route's service accepts it (``ArtifactStore.commit``); otherwise it is discarded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qsl

from fastapi.exceptions import RequestValidationError
from pydantic import EmailStr, Field, TypeAdapter, ValidationError
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from geometry.errors import InputError, InputTooLargeError
from lasts.side import Side
from manufacturing.artifacts import ArtifactStore, StagedBlob
from manufacturing.artifacts.store import BlobWriter

# Beside the file: boundaries, part headers and the small text fields (an e-mail address, design options).
FORM_OVERHEAD_BYTES = 256 * 1024
_MAX_FIELD_BYTES = 64 * 1024
_MAX_PARTS = 16


@dataclass(frozen=True)
class UploadForm:
    """A multipart form read: its file staged in the artifact store (None when the form had none), the file's
    name as the client gave it, and its text fields."""

    file: StagedBlob | None
    filename: str
    fields: dict[str, str]

    def field(self, name: str) -> str | None:
        return self.fields.get(name)


T = TypeVar("T")
_EMAIL = TypeAdapter(EmailStr)
_SIDE = TypeAdapter(Side)


def _validated(form: UploadForm, name: str, adapter: TypeAdapter[T]) -> T | None:
    """A form field checked by pydantic as FastAPI checked form parameters: the same 422 ``invalid_request``."""
    value = form.field(name)
    if value is None:
        return None
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", name, *e["loc"])} for e in exc.errors()]) from exc


def email_field(form: UploadForm, name: str = "email") -> str | None:
    """A form's e-mail address field (422 for one that is not), None when absent."""
    value = _validated(form, name, _EMAIL)
    return None if value is None else str(value)


def side_field(form: UploadForm, name: str = "side") -> Side | None:
    """A form's foot side field, ``left`` or ``right`` (422 otherwise), None when absent."""
    return _validated(form, name, _SIDE)


def form_integer(form: UploadForm, name: str, maximum: int) -> int | None:
    """A form's whole-number field, 1 … ``maximum`` (422 otherwise), None when absent."""
    return _validated(form, name, TypeAdapter(Annotated[int, Field(ge=1, le=maximum)]))


def multipart_body(file_field: str, description: str, **text_fields: str) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of an upload route (its form is read by ``read_upload_form``, not FastAPI)."""
    properties = {file_field: {"type": "string", "format": "binary", "description": description}}
    properties.update({name: {"type": "string", "description": text} for name, text in text_fields.items()})
    schema = {"type": "object", "properties": properties}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}


async def read_upload_form(
    request: Request,
    store: ArtifactStore,
    *,
    file_field: str,
    max_file_bytes: int,
    text_fields: frozenset[str] = frozenset(),
    file_required: bool = True,
) -> UploadForm:
    """Read a multipart form whose file is ``file_field`` (at most ``max_file_bytes``) and whose other fields
    are ``text_fields`` (others are ignored). Typed errors: 413 over the limit, declared or counted; 422 a form
    that is not multipart, is damaged, or lacks its file."""
    media_type, options = parse_options_header(request.headers.get("content-type"))
    boundary = options.get(b"boundary")
    if media_type != b"multipart/form-data" or not boundary:  # a form without a file, or no form
        form = _FormReader(store, file_field, max_file_bytes, text_fields)
        if media_type == b"application/x-www-form-urlencoded":
            form.fields = await _read_urlencoded(request, text_fields)
        return form.finish(file_required)
    max_body_bytes = max_file_bytes + FORM_OVERHEAD_BYTES
    _check_declared_length(request, max_body_bytes)
    form = _FormReader(store, file_field, max_file_bytes, text_fields)
    parser = MultipartParser(boundary, form.callbacks())
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > max_body_bytes:
                raise InputTooLargeError(f"the upload passed {max_body_bytes:,} bytes; a file may have "
                                         f"{max_file_bytes:,}", limit_bytes=max_file_bytes)  # fmt: skip
            parser.write(chunk)
        parser.finalize()
        return form.finish(file_required)
    except MultipartParseError as exc:
        form.abort()
        raise InputError(f"the multipart form is damaged: {exc}") from exc
    except ClientDisconnect as exc:
        form.abort()
        raise InputError("the upload was interrupted before its end") from exc
    except BaseException:
        form.abort()
        raise


def _check_declared_length(request: Request, max_body_bytes: int) -> None:
    """Refuse a body whose ``Content-Length`` is over the limit before a byte of it is read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_body_bytes:
        raise InputTooLargeError(f"the request is {int(declared):,} bytes, over the limit of {max_body_bytes:,}",
                                 limit_bytes=max_body_bytes)  # fmt: skip


async def _read_urlencoded(request: Request, text_fields: frozenset[str]) -> dict[str, str]:
    _check_declared_length(request, FORM_OVERHEAD_BYTES)
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > FORM_OVERHEAD_BYTES:
            raise InputTooLargeError(f"the form passed {FORM_OVERHEAD_BYTES:,} bytes", limit_bytes=FORM_OVERHEAD_BYTES)
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=_MAX_PARTS)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"the form cannot be read: {exc}") from exc
    return {name: value for name, value in pairs if name in text_fields}


@dataclass
class _FormReader:
    """python-multipart's callbacks: each part's headers, then its bytes to the staged file or a text field."""

    store: ArtifactStore
    file_field: str
    max_file_bytes: int
    text_fields: frozenset[str]
    fields: dict[str, str] = field(default_factory=dict)
    filename: str = ""
    staged: StagedBlob | None = None
    parts: int = 0
    _header_name: bytearray = field(default_factory=bytearray)
    _header_value: bytearray = field(default_factory=bytearray)
    _disposition: bytes = b""
    _writer: BlobWriter | None = None
    _text: bytearray | None = None
    _text_name: str = ""

    def callbacks(self) -> Any:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda data, start, end: self._header_name.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._header_value.extend(data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self.parts += 1
        if self.parts > _MAX_PARTS:
            raise InputError(f"the form has more than {_MAX_PARTS} parts")
        self._disposition = b""

    def _header_end(self) -> None:
        if bytes(self._header_name).strip().lower() == b"content-disposition":
            self._disposition = bytes(self._header_value)
        self._header_name.clear()
        self._header_value.clear()

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        name = options.get(b"name", b"").decode("utf-8", errors="replace")
        if name == self.file_field:
            if self.staged is not None or self._writer is not None:
                raise InputError(f"the form holds two files named `{self.file_field}`", field=self.file_field)
            self.filename = options.get(b"filename", b"").decode("utf-8", errors="replace")[:255]
            self._writer = self.store.writer(self.max_file_bytes)
        elif name in self.text_fields:
            self._text, self._text_name = bytearray(), name

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._writer is not None:
            self._writer.write(data[start:end])
        elif self._text is not None:
            self._text.extend(data[start:end])
            if len(self._text) > _MAX_FIELD_BYTES:
                raise InputTooLargeError(f"form field `{self._text_name}` is over {_MAX_FIELD_BYTES:,} bytes",
                                         field=self._text_name, limit_bytes=_MAX_FIELD_BYTES)  # fmt: skip

    def _part_end(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            self.staged = writer.finish()
        elif self._text is not None:
            try:
                self.fields[self._text_name] = self._text.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"form field `{self._text_name}` is not UTF-8 text", field=self._text_name) from exc
            self._text = None

    def finish(self, file_required: bool) -> UploadForm:
        if self._writer is not None:
            raise InputError(f"the form ended inside the file `{self.file_field}`", field=self.file_field)
        if self.staged is not None and self.staged.size_bytes == 0:
            self.abort()
            raise InputError(f"{self.filename or self.file_field!r} is empty", filename=self.filename)
        if self.staged is None and file_required:
            raise RequestValidationError([{"type": "missing", "loc": ("body", self.file_field), "msg": "Field required",
                                           "input": None}])  # fmt: skip
        return UploadForm(self.staged, self.filename, self.fields)

    def abort(self) -> None:
        """Remove what was written: nothing of a refused upload stays."""
        if self._writer is not None:
            self._writer.abort()
            self._writer = None
        if self.staged is not None:
            self.store.discard(self.staged)
            self.staged = None
