"""``$batch`` (spec §5.4): multipart parsing, one transaction per changeset, multipart answer."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qsl, unquote, urlsplit

from multidict import CIMultiDict

from commerce.engine.errors import (
    BatchLimitExceeded,
    EngineError,
    MethodNotAllowed,
    ODataError,
    UnsupportedMediaType,
)
from commerce.engine.http.odata import Headers, ODataRequest, ODataResponse, handle
from commerce.engine.http.render import error_body
from commerce.engine.model.io import IntegrationObject
from commerce.engine.model.resource import ResourceKind, parse_resource
from commerce.engine.service.auth import User
from commerce.engine.service.engine import Engine

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Part:
    """One request inside a batch, as written by the client."""

    method: str
    target: str
    headers: CIMultiDict[str]
    body: bytes
    content_id: str | None = None


@dataclass(slots=True)
class Changeset:
    parts: list[Part] = field(default_factory=list)


def boundary_of(content_type: str) -> str:
    main, _, params = content_type.partition(";")
    if main.strip().lower() != "multipart/mixed":
        raise UnsupportedMediaType("$batch takes Content-Type multipart/mixed; boundary=...")
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "boundary" and value.strip():
            return value.strip().strip('"')
    raise ODataError("The multipart/mixed Content-Type has no boundary.")


def _split(body: str, boundary: str) -> list[str]:
    # Parts are separated by "--boundary" lines; clients use CRLF or LF (spec §5.4).
    delimiter = "\n--" + boundary
    chunks = ("\n" + body).split(delimiter)
    parts: list[str] = []
    closed = False
    for chunk in chunks[1:]:
        if chunk.startswith("--"):
            closed = True
            break
        _, _, rest = chunk.partition("\n")
        parts.append(rest)
    if not closed:
        raise ODataError("The multipart body is not closed by its final boundary.")
    return parts


def _headers_and_body(text: str) -> tuple[CIMultiDict[str], str]:
    head, sep, body = text.partition("\n\n")
    if not sep:
        head, body = text, ""
    headers: CIMultiDict[str] = CIMultiDict()
    for line in head.split("\n"):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise ODataError(f"Malformed header line [{line[:60]}] in $batch.")
        headers.add(name.strip(), value.strip())
    return headers, body


def _http_part(text: str, content_id: str | None) -> Part:
    request_line, _, rest = text.lstrip("\n").partition("\n")
    words = request_line.split()
    if len(words) not in (2, 3):
        raise ODataError(f"Malformed request line [{request_line[:80]}] in $batch.")
    headers, body = _headers_and_body(rest)
    return Part(words[0].upper(), words[1], headers, body.rstrip("\n").encode(), content_id)


def parse_batch(body: bytes, content_type: str) -> list[Part | Changeset]:
    """Parse the batch body; raises ODataError/UnsupportedMediaType for malformed input."""
    try:
        text = body.decode().replace("\r\n", "\n")
    except UnicodeDecodeError:
        raise ODataError("The $batch body is not UTF-8.") from None
    result: list[Part | Changeset] = []
    for raw in _split(text, boundary_of(content_type)):
        headers, inner = _headers_and_body(raw)
        part_type = headers.get("Content-Type", "")
        if part_type.lower().startswith("multipart/mixed"):
            changeset = Changeset()
            for raw_inner in _split(inner, boundary_of(part_type)):
                inner_headers, request_text = _headers_and_body(raw_inner)
                changeset.parts.append(_http_part(request_text, inner_headers.get("Content-ID")))
            result.append(changeset)
        else:
            result.append(_http_part(inner, headers.get("Content-ID")))
    return result


def _request(
    part: Part, io: IntegrationObject, base: str, user: User, outer: Headers
) -> ODataRequest:
    target = part.target
    path, _, query = target.partition("?")
    if "://" in path:
        path = urlsplit(path).path
    prefix = f"/odata2webservices/{io.code}/"
    if path.startswith("/"):
        if not path.startswith(prefix):
            raise ODataError(f"Batch part [{target}] addresses another service.")
        path = path[len(prefix) :]
    resource = parse_resource(unquote(path))
    if resource.kind is not ResourceKind.COLLECTION and resource.kind is not ResourceKind.ENTITY:
        raise MethodNotAllowed("Batch parts address entity sets or items only.")
    headers = CIMultiDict(part.headers)
    if "Accept" not in headers and "Accept" in outer:
        headers["Accept"] = outer["Accept"]
    return ODataRequest(
        method=part.method,
        io=io,
        resource=resource,
        query=parse_qsl(query, keep_blank_values=True),
        headers=headers,
        body=part.body,
        base=base,
        user=user,
    )


def _http_text(response: ODataResponse, content_id: str | None) -> str:
    reason = HTTPStatus(response.status).phrase
    lines = [f"HTTP/1.1 {response.status} {reason}"]
    if response.content_type:
        lines.append(f"Content-Type: {response.content_type}")
    for name, value in response.headers.items():
        lines.append(f"{name}: {value}")
    if content_id:
        lines.append(f"Content-ID: {content_id}")
    lines.append(f"Content-Length: {len(response.body)}")
    return "\r\n".join(lines) + "\r\n\r\n" + response.body.decode()


def _mime(http_text: str) -> str:
    return "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n" + http_text


def _error_response(exc: EngineError) -> ODataResponse:
    body, content_type = error_body(exc, xml=False)
    return ODataResponse(exc.status, body, content_type)


async def handle_batch(
    engine: Engine,
    io: IntegrationObject,
    user: User,
    headers: Headers,
    body: bytes,
    base: str,
) -> ODataResponse:
    """Run every part in order; each changeset commits or rolls back on its own."""
    entries = parse_batch(body, headers.get("Content-Type", ""))
    size = sum(1 + len(e.parts) if isinstance(e, Changeset) else 1 for e in entries)
    if size > engine.settings.batch_limit:
        raise BatchLimitExceeded(
            f"The batch holds {size} changesets and parts; the limit is "
            f"{engine.settings.batch_limit}. Nothing was processed."
        )
    boundary = f"batchresponse_{uuid.uuid4()}"
    chunks: list[str] = []
    for entry in entries:
        if isinstance(entry, Changeset):
            chunks.append(await _changeset(engine, io, user, headers, base, entry))
            continue
        try:
            if entry.method != "GET":
                raise MethodNotAllowed("Outside a changeset a batch part may only GET.")
            response = await handle(engine, _request(entry, io, base, user, headers))
        except EngineError as exc:
            response = _error_response(exc)
        chunks.append(_mime(_http_text(response, entry.content_id)))
    text = "".join(f"--{boundary}\r\n{chunk}\r\n" for chunk in chunks) + f"--{boundary}--\r\n"
    return ODataResponse(202, text.encode(), f"multipart/mixed; boundary={boundary}")


async def _changeset(
    engine: Engine,
    io: IntegrationObject,
    user: User,
    headers: Headers,
    base: str,
    changeset: Changeset,
) -> str:
    responses: list[tuple[ODataResponse, str | None]] = []
    try:
        async with engine.write() as session:
            for part in changeset.parts:
                if part.method == "GET":
                    raise MethodNotAllowed("A changeset holds POST, PATCH and DELETE parts only.")
                request = _request(part, io, base, user, headers)
                responses.append((await handle(engine, request, session), part.content_id))
    except EngineError as exc:
        # A failed changeset is answered by a single error part (what pyodata expects).
        return _mime(_http_text(_error_response(exc), None))
    inner = f"changesetresponse_{uuid.uuid4()}"
    body = (
        "".join(f"--{inner}\r\n{_mime(_http_text(r, cid))}\r\n" for r, cid in responses)
        + f"--{inner}--"
    )
    return f"Content-Type: multipart/mixed; boundary={inner}\r\n\r\n{body}"
