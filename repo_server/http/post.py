"""The Sling POST servlet (sling-http §3): modify, delete, move, copy, import, nop.

Each POST runs its operation on one session and commits it with one `save()`: on any error
nothing is written. Responses are Sling's JSON or HTML post responses (§3.11), errors
included: that document *is* the servlet's API, so its errors are rendered here rather than
by the error middleware, and carry the stable error `code` as an extra member.
"""

from __future__ import annotations

import codecs
import html
import itertools
import json
import mimetypes
import re
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from http import HTTPStatus
from typing import Any, Final

from aiohttp import web
from aiohttp.helpers import parse_mimetype
from aiohttp.multipart import content_disposition_filename, parse_content_disposition

from repo_server.errors import (
    ChildNodeNotAllowed,
    ConstraintViolation,
    DeleteWithSelectors,
    DestinationExists,
    DestinationNotFolder,
    DestinationParentMissing,
    IllegalNodeName,
    InvalidInput,
    InvalidName,
    InvalidOrder,
    InvalidPath,
    InvalidValue,
    MissingDestination,
    MissingParameter,
    MoveIntoDescendant,
    NameInUse,
    NodeNotFound,
    NodeTypeConstraint,
    PayloadTooLarge,
    RepoError,
    StaleRevision,
    UnknownOperation,
    UnknownSibling,
    UnprocessableValue,
)
from repo_server.http.keys import extensions_key, settings_key
from repo_server.http.resolve import Resource, resolve
from repo_server.http.security_http import session_for
from repo_server.model import names as N
from repo_server.model import path as P
from repo_server.model.changes import Change
from repo_server.model.values import (
    Binary,
    Property,
    PropertyType,
    Value,
    now,
    parse_iso_date,
    parse_value,
)
from repo_server.session.content import parse_document
from repo_server.session.session import ContentSession

# Built at import time: the first lookup reads the system's mime.types (blocking I/O).
_MIME: Final = mimetypes.MimeTypes()
_IGNORED: Final = re.compile(r"j_.*")
_SUFFIXES: Final = (
    "@TypeHint",
    "@DefaultValue",
    "@UseDefaultWhenMissing",
    "@IgnoreBlanks",
    "@ValueFrom",
    "@Delete",
    "@MoveFrom",
    "@CopyFrom",
    "@Patch",
)
NAME_HINTS: Final = (
    "title",
    "jcr:title",
    "name",
    "description",
    "jcr:description",
    "abstract",
    "text",
    "jcr:text",
)
AUTO_CREATED_DATES: Final = frozenset({"created", "jcr:created"})
AUTO_MODIFIED_DATES: Final = frozenset({"lastModified", "jcr:lastModified"})
AUTO_CREATED_BY: Final = frozenset({"createdBy", "jcr:createdBy"})
AUTO_MODIFIED_BY: Final = frozenset({"lastModifiedBy", "jcr:lastModifiedBy"})
_name_counter = itertools.count()


@dataclass(frozen=True, slots=True)
class Upload:
    """A multipart part with a file name."""

    filename: str
    content_type: str | None
    data: bytes


ParamValue = str | Upload


class Params:
    """The request parameters in order (query string first, then the body)."""

    def __init__(self, items: list[tuple[str, ParamValue]]) -> None:
        self.items = items

    def all(self, name: str) -> list[ParamValue]:
        return [v for k, v in self.items if k == name]

    def first(self, name: str) -> str | None:
        for k, v in self.items:
            if k == name and isinstance(v, str):
                return v
        return None

    def has(self, name: str) -> bool:
        return any(k == name for k, _ in self.items)

    def is_true(self, name: str) -> bool:
        return (self.first(name) or "").strip().lower() == "true"


# --- reading the request ----------------------------------------------------------------------
async def read_params(request: web.Request) -> Params:
    """Parse query string and form body (urlencoded or multipart), preserving order.

    PayloadTooLarge beyond `max_body_bytes`; InvalidInput for undecodable text.
    """
    limit = request.app[settings_key].max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"the request body is larger than {limit} bytes", limit=limit)
    items: list[tuple[str, ParamValue]] = list(request.rel_url.query.items())
    ctype = request.content_type
    try:
        if ctype == "application/x-www-form-urlencoded":
            body = await request.read()
            text = body.decode("latin-1")
            charset = _charset_of(urllib.parse.parse_qsl(text, keep_blank_values=True))
            items.extend(
                urllib.parse.parse_qsl(
                    text, keep_blank_values=True, encoding=charset, errors="strict"
                )
            )
        elif ctype.startswith("multipart/"):
            items.extend(await _read_multipart(request))
    except (UnicodeDecodeError, LookupError) as exc:
        raise InvalidInput(f"the form data cannot be decoded: {exc}") from None
    return Params(items)


def _charset_of(pairs: list[tuple[str, str]]) -> str:
    for name, value in pairs:
        if name == "_charset_" and value.strip():
            codecs.lookup(value.strip())  # LookupError for an unknown charset, even on ASCII
            return value.strip()
    return "utf-8"


async def _read_multipart(request: web.Request) -> list[tuple[str, ParamValue]]:
    # Parsed from the buffered body (bounded by client_max_size): aiohttp's streaming reader
    # special-cases a `_charset_` part and then fails on boundaries longer than 30 bytes.
    boundary = parse_mimetype(request.headers.get("Content-Type", "")).parameters.get("boundary")
    if not boundary:
        raise InvalidInput("a multipart body needs a boundary")
    body = await request.read()
    raw: list[tuple[str, bytes | Upload, str | None]] = []
    for chunk in body.split(b"--" + boundary.encode("latin-1"))[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.removeprefix(b"\r\n").removesuffix(b"\r\n")
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise InvalidInput("a multipart part has no header/body separator")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, colon, value = line.partition(":")
            if colon:
                headers[key.strip().lower()] = value.strip()
        _, disposition = parse_content_disposition(headers.get("content-disposition"))
        name = disposition.get("name")
        if name is None:
            continue
        filename = content_disposition_filename(disposition, "filename")
        if filename is not None and "%" in filename:
            filename = urllib.parse.unquote(filename)  # aiohttp's client percent-encodes names
        if filename is not None:
            raw.append((name, Upload(filename, headers.get("content-type"), data), None))
        else:
            raw.append((name, data, _part_charset(headers.get("content-type"))))
    charset = "utf-8"
    for key, payload, _ in raw:
        if key == "_charset_" and isinstance(payload, bytes) and payload.strip():
            charset = payload.decode("ascii", "replace").strip()
    return [
        (key, payload if isinstance(payload, Upload) else payload.decode(own or charset))
        for key, payload, own in raw
    ]


def _part_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = re.search(r"charset=\"?([\w.:-]+)", content_type, re.I)
    return m.group(1) if m else None


# --- If-Match ---------------------------------------------------------------------------------
async def check_if_match(request: web.Request, session: ContentSession, path: str) -> None:
    """`If-Match` (stale -> 412 stale-revision) and `If-None-Match: *` (create-only)."""
    if_match = request.headers.get("If-Match")
    if_none = request.headers.get("If-None-Match")
    if if_match is None and if_none is None:
        return
    try:
        node = await session.get_node(path)
    except InvalidInput:
        node = None
    current = f'"{node.revision}"' if node is not None else None
    if if_match is not None:
        wanted = [t.strip().removeprefix("W/") for t in if_match.split(",")]
        if current is None or ("*" not in wanted and current not in wanted):
            details: dict[str, Any] = {"path": path}
            if node is not None:
                details["revision"] = node.revision
            raise StaleRevision(f"{path} is not at the revision given in If-Match", **details)
    if if_none is not None and if_none.strip() == "*" and node is not None:
        raise StaleRevision(f"{path} exists (If-None-Match: *)", path=path, revision=node.revision)


# --- names ------------------------------------------------------------------------------------
def filter_name(hint: str, max_length: int) -> str:
    """Sling's node name filter (sling-http §3.3)."""
    out: list[str] = []
    replaced = False
    for ch in hint.lower():
        if ("a" <= ch <= "z") or ("0" <= ch <= "9") or ch == "_":
            out.append(ch)
            replaced = False
        elif not replaced:
            out.append("_")
            replaced = True
    name = "".join(out)
    if name and name[0].isdigit():
        name = "_" + name
    return (name or "_")[:max_length]


def _valid_name(name: str, namespaces: N.NamespaceRegistry | None = None) -> str:
    try:
        return N.validate_name(name, namespaces or N.DEFAULT_NAMESPACES)
    except InvalidName as exc:
        raise IllegalNodeName(f"illegal node name {name!r}", name=name) from exc


def _path(text: str, base: str | None = None, namespaces: N.NamespaceRegistry | None = None) -> str:
    try:
        return P.normalize(text, base, namespaces)
    except (InvalidPath, InvalidName) as exc:
        raise IllegalNodeName(f"illegal path {text!r}: {exc}", path=text) from exc


def _literal(text: str) -> str:
    """A request path taken literally as a node path: no empty, `.` or `..` segment (traversal)."""
    inner = text.strip("/")
    if inner and any(seg in ("", ".", "..") for seg in inner.split("/")):
        raise IllegalNodeName(f"illegal path {text[:200]!r}: empty or dot segment", path=text[:200])
    return text


def check_raw_path(request: web.Request) -> None:
    """InvalidPath when the request path's percent-escapes are not UTF-8 (`%ff`, `%C3%28`)."""
    raw = request.raw_path.split("?", 1)[0]
    try:
        urllib.parse.unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidPath("the request path is not percent-encoded UTF-8", path=raw[:200]) from None


async def _unique_child(session: ContentSession, parent: str, name: str) -> str:
    candidate = name
    counter = 0
    while await session.exists(P.join(parent, candidate)):
        counter += 1
        candidate = f"{name}_{counter}"
    return candidate


# --- dates ------------------------------------------------------------------------------------
_MONTHS: Final = (
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
)
_ECMA: Final = re.compile(
    r"^\w{3} (\w{3}) (\d{1,2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT([+-])(\d{2}):?(\d{2})"
)
_ISO_JCR: Final = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$"
)
_ISO_COMPACT: Final = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{4}$")
_ISO_LOCAL: Final = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2}))?$")
_DOTTED: Final = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})(?: (\d{2}):(\d{2}):(\d{2}))?$")


def _local(dt: datetime) -> datetime:
    """An instant in the server's default time zone, as a fixed offset."""
    return dt.astimezone()


def _wall_clock(year: int, month: int, day: int, hour: int, minute: int, second: int) -> datetime:
    # a naive time read in the server's default zone on purpose (sling-http §3.5.1)
    naive = datetime(year, month, day, hour, minute, second)
    aware = naive.astimezone()
    return aware.replace(tzinfo=timezone(aware.utcoffset() or timedelta(0)))


def parse_sling_date(text: str) -> datetime:
    """The date formats of sling-http §3.5.1, first match wins; InvalidValue if none."""
    text = text.strip()
    try:
        m = _ECMA.match(text)
        if m:
            mon, day, year, hh, mi, ss, sign, oh, om = m.groups()
            offset = timedelta(hours=int(oh), minutes=int(om)) * (-1 if sign == "-" else 1)
            dt = datetime(
                int(year),
                _MONTHS.index(mon.lower()) + 1,
                int(day),
                int(hh),
                int(mi),
                int(ss),
                tzinfo=timezone(offset),
            )
            return _fixed(_local(dt))
        if _ISO_JCR.match(text):
            return parse_iso_date(text)
        if _ISO_COMPACT.match(text):
            return _fixed(_local(parse_iso_date(text)))
        m = _ISO_LOCAL.match(text)
        if m:
            y, mo, d, hh, mi, ss = m.groups()
            return _wall_clock(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0))
        m = _DOTTED.match(text)
        if m:
            d, mo, y, hh, mi, ss = m.groups()
            return _wall_clock(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0))
    except (ValueError, OverflowError):
        pass
    raise InvalidValue(f"cannot convert {text[:100]!r} to Date", value=text[:100], type="Date")


def _fixed(dt: datetime) -> datetime:
    off = dt.utcoffset() or timedelta(0)
    return dt.replace(
        tzinfo=UTC if not off else timezone(off), microsecond=dt.microsecond // 1000 * 1000
    )


# --- the response -----------------------------------------------------------------------------
@dataclass
class PostResult:
    """What an operation did, for the response (sling-http §3.11)."""

    path: str
    status: int = 200
    message: str | None = None
    is_create: bool = False
    changes: list[Change] = field(default_factory=list)
    error: RepoError | None = None


def prefers_json(accept: str | None) -> bool:
    """JSON if the Accept value gives application/json a higher q than text/html (tie: HTML)."""
    if not accept:
        return False
    ranges: list[tuple[str, str, float]] = []
    for item in accept.split(","):
        bits = [b.strip() for b in item.split(";")]
        media = bits[0].lower()
        if "/" not in media:
            continue
        q = 1.0
        for b in bits[1:]:
            if b.lower().startswith("q="):
                try:
                    q = float(b[2:])
                except ValueError:
                    q = 0.0
        kind, _, sub = media.partition("/")
        ranges.append((kind, sub, q))

    def quality(kind: str, sub: str) -> float:
        best, score = 0.0, -1
        for k, s, q in ranges:
            if k == kind and s == sub:
                spec = 2
            elif k == kind and s == "*":
                spec = 1
            elif k == "*" and s == "*":
                spec = 0
            else:
                continue
            if spec > score:
                best, score = q, spec
        return best

    return quality("application", "json") > quality("text", "html")


_CHANGE_TYPES: Final = frozenset({"created", "modified", "deleted", "moved", "copied", "ordered"})


def change_entries(changes: list[Change]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for c in changes:
        kind = c.kind if c.kind in _CHANGE_TYPES else "modified"
        argument: Any
        if kind in ("moved", "copied"):
            argument = [c.path, c.argument]
        elif kind == "ordered":
            argument = [c.path] if c.argument is None else [c.path, c.argument]
        else:
            argument = c.path
        out.append({"type": kind, "argument": argument})
    return out


def _redirect_target(request: web.Request, value: str, name: str) -> str | None:
    split = urllib.parse.urlsplit(value)
    if split.scheme or split.netloc or value.startswith("//"):
        return None  # no open redirects
    if "*" in value:
        value = value.replace("*", name, 1)
    elif value.endswith("/"):
        value += name
    resolved = urllib.parse.urljoin(request.path, value)
    return urllib.parse.quote(resolved, safe="/:@!$&'()*+,;=-._~?#%")


def _location(path: str, display: str) -> str:
    return path + display


def render_result(request: web.Request, params: Params, result: PostResult) -> web.Response:
    """Sling's post response: status, Location, :redirect, :status=browser, JSON or HTML."""
    status = result.status
    display = params.first(":displayExtension") or ""
    location = _location(result.path, display)
    parent = P.parent(result.path) if result.path.startswith("/") and result.path != "/" else None
    parent_location = _location(parent, display) if parent else None
    reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
    message = result.message or (result.error.message if result.error else reason)
    if result.error is not None:
        title = f"Error while processing {result.path}"
    elif result.is_create:
        title = f"Content created {result.path}"
    else:
        title = f"Content modified {result.path}"
    referer = request.headers.get("Referer", "")
    headers: dict[str, str] = {}
    ok = 200 <= status < 300 and result.error is None
    redirect = params.first(":redirect")
    http_status = status
    if ok and redirect:
        target = _redirect_target(
            request, redirect, P.name(result.path) if result.path != "/" else ""
        )
        if target is not None:
            return web.Response(status=302, headers={"Location": target})
    if status == 201 or 300 <= status < 400:
        headers["Location"] = urllib.parse.quote(location, safe="/:@!$&'()*+,;=-._~")
    if (params.first(":status") or "").strip().lower() == "browser":
        http_status = 200
    accept = params.first(":http-equiv-accept") or request.headers.get("Accept")
    changes = change_entries(result.changes) if result.error is None else []
    if prefers_json(accept):
        body: dict[str, Any] = {
            "status.code": status,
            "status.message": message,
            "title": title,
            "path": result.path,
            "location": location,
        }
        if parent_location is not None:
            body["parentLocation"] = parent_location
        body["referer"] = referer
        if result.is_create:
            body["isCreate"] = True
        body["changes"] = changes
        if result.error is not None:
            body["code"] = result.error.code
            if result.error.details:
                body["details"] = result.error.details
            if status >= 500:
                body["error"] = {"class": result.error.code, "message": result.error.message}
        return web.Response(
            status=http_status,
            body=json.dumps(body, default=str, ensure_ascii=False).encode("utf-8"),
            content_type="application/json",
            charset="utf-8",
            headers=headers,
        )
    return web.Response(
        status=http_status,
        text=_html(status, message, title, result, location, parent_location, referer, changes),
        content_type="text/html",
        charset="utf-8",
        headers=headers,
    )


def _html(
    status: int,
    message: str,
    title: str,
    result: PostResult,
    location: str,
    parent_location: str | None,
    referer: str,
    changes: list[dict[str, Any]],
) -> str:
    """Sling's HTML post response: the element ids `Status`, `Message`, ... `ChangeLog`."""
    q = html.escape
    log = []
    for c in changes:
        arg = c["argument"]
        args = ", ".join(f'"{a}"' for a in arg) if isinstance(arg, list) else f'"{arg}"'
        log.append(f"{c['type']}({args});")

    def div(label: str, id_: str, value: str) -> str:
        return f'<tr><td>{label}</td><td><div id="{id_}">{value}</div></td></tr>'

    def link(label: str, id_: str, value: str) -> str:
        return f'<tr><td>{label}</td><td><a href="{q(value)}" id="{id_}">{q(value)}</a></td></tr>'

    rows = [div("Status", "Status", str(status)), div("Message", "Message", q(message))]
    if result.error is not None:
        rows.append(div("Error code", "Code", q(result.error.code)))
    rows += [
        link("Location", "Location", location),
        link("Parent Location", "ParentLocation", parent_location or ""),
        div("Path", "Path", q(result.path)),
        link("Referer", "Referer", referer),
        div("ChangeLog", "ChangeLog", "<pre>" + "<br/>".join(q(x) for x in log) + "</pre>"),
    ]
    links = [f'<p><a href="{q(referer)}">Go Back</a></p>']
    links.append(f'<p><a href="{q(location)}">Modified Resource</a></p>')
    if parent_location:
        links.append(f'<p><a href="{q(parent_location)}">Parent of Modified Resource</a></p>')
    return (
        f"<!DOCTYPE html><html><head><title>{q(title)}</title></head><body>"
        f"<h1>{q(title)}</h1><table><tbody>{''.join(rows)}</tbody></table>"
        f"{''.join(links)}</body></html>"
    )


# --- the servlet ------------------------------------------------------------------------------
@dataclass
class PostContext:
    request: web.Request
    session: ContentSession
    resource: Resource
    params: Params

    @property
    def max_name_length(self) -> int:
        return self.request.app[settings_key].name_max_length


Operation = Callable[[PostContext], Awaitable[PostResult]]


async def handle_post(request: web.Request) -> web.StreamResponse:
    check_raw_path(request)
    params = await read_params(request)
    session = session_for(request)
    resource = await resolve(session, request.path)
    op_name = (params.first(":operation") or "").strip()
    operation = OPERATIONS.get(op_name)
    if operation is None:
        plugin = request.app[extensions_key].operations.get(op_name)
        if plugin is not None:
            return await plugin(request, session, resource.path, params)
    if resource.exists:
        await check_if_match(request, session, _node_of(resource))
    elif request.headers.get("If-Match") is not None:
        await check_if_match(request, session, resource.path)
    ctx = PostContext(request, session, resource, params)
    try:
        if operation is None:
            raise UnknownOperation(
                "Invalid operation specified for POST request", operation=op_name[:100]
            )
        result = await operation(ctx)
        if session.has_pending_changes:
            commit = await session.save()
            result.changes = commit.changes
    except RepoError as exc:
        error = translate_error(exc)
        result = PostResult(_error_path(ctx), error.status, error=error)
    return render_result(request, params, result)


def _node_of(resource: Resource) -> str:
    return resource.path if resource.kind == "node" else P.parent(resource.path)


def _error_path(ctx: PostContext) -> str:
    return ctx.resource.path


def translate_error(exc: RepoError) -> RepoError:
    """The statuses Sling's POST servlet gives to repository errors (sling-http §3.13)."""
    if isinstance(exc, InvalidName | InvalidPath):
        return IllegalNodeName(exc.message, **exc.details)
    if isinstance(exc, ConstraintViolation):
        return NodeTypeConstraint(exc.message, **exc.details)
    if isinstance(exc, InvalidValue):
        return UnprocessableValue(exc.message, **exc.details)
    return exc


# --- modify -----------------------------------------------------------------------------------
@dataclass
class RequestProperty:
    """Everything posted about one property path: values and `@` suffixes."""

    path: str
    parent: str
    name: str
    values: list[ParamValue] | None = None
    type_hint: str | None = None
    default: str | None = None
    use_default_when_missing: bool = False
    ignore_blanks: bool = False
    value_from: str | None = None
    delete: bool = False
    move_from: str | None = None
    copy_from: str | None = None
    patch: bool = False


def _split_suffix(name: str) -> tuple[str, str | None]:
    at = name.rfind("@")
    if at > 0 and name[at:] in _SUFFIXES:
        return name[:at], name[at:]
    return name, None


def content_properties(
    params: Params, target: str, namespaces: N.NamespaceRegistry | None = None
) -> dict[str, RequestProperty]:
    """The content parameters of a modify, keyed by resolved property path (sling-http §3.4)."""
    dot_mode = any(k.startswith("./") for k, _ in params.items)
    props: dict[str, RequestProperty] = {}
    for key, value in params.items:
        if key.startswith(":") or key == "_charset_" or _IGNORED.fullmatch(key):
            continue
        if dot_mode and not key.startswith(("./", "../", "/")):
            continue
        base, suffix = _split_suffix(key)
        if not base or base.endswith("/"):
            continue
        if base == "*" or base.endswith("/*"):
            # a file field named `*` takes the uploaded file's name (sling-http §3.8)
            folder = base[:-1].rstrip("/")
            parent = _path(folder, target, namespaces) if folder and folder != "." else target
            path = P.join(parent, "*")
        else:
            path = _path(base, target, namespaces)
            if path == P.ROOT:
                continue
            parent = P.parent(path)
        rp = props.get(path)
        if rp is None:
            rp = props[path] = RequestProperty(path, parent, P.name(path))
        text = value if isinstance(value, str) else None
        if suffix is None:
            rp.values = [*(rp.values or []), value]
        elif suffix == "@TypeHint":
            rp.type_hint = rp.type_hint or text
        elif suffix == "@DefaultValue":
            rp.default = rp.default if rp.default is not None else text
        elif suffix == "@UseDefaultWhenMissing":
            rp.use_default_when_missing = (text or "").strip().lower() != "false"
        elif suffix == "@IgnoreBlanks":
            rp.ignore_blanks = (text or "").strip().lower() != "false"
        elif suffix == "@ValueFrom":
            rp.value_from = text
        elif suffix == "@Delete":
            rp.delete = True
        elif suffix == "@MoveFrom":
            rp.move_from = text
        elif suffix == "@CopyFrom":
            rp.copy_from = text
        elif suffix == "@Patch":
            rp.patch = (text or "").strip().lower() != "false"
    return props


def _hint_type(hint: str | None) -> tuple[PropertyType | None, bool]:
    if not hint:
        return None, False
    hint = hint.strip()
    multiple = hint.endswith("[]")
    name = hint[:-2] if multiple else hint
    try:
        t = PropertyType.from_name(name, case_sensitive=True)
    except InvalidValue:
        return None, multiple
    return (None if t is PropertyType.UNDEFINED else t), multiple


class Modify:
    """One modify operation (sling-http §3.2-3.9) on the session."""

    def __init__(self, ctx: PostContext) -> None:
        self.ctx = ctx
        self.session = ctx.session
        self.params = ctx.params
        self.created: set[str] = set()
        self.now = now()
        self.props: dict[str, RequestProperty] = {}
        self.ns = ctx.session.registry.namespaces

    async def target(self) -> tuple[str, bool]:
        """(target path, whether it is a new child with a generated name)."""
        res = self.ctx.resource
        if res.kind == "star":
            return _path(res.path[:-2] or "/", None, self.ns), True
        if res.exists:
            if not res.suffix:
                return res.path, False
            suffix = res.suffix.split(".", 1)[0]
            cand = _literal(res.path.rstrip("/") + suffix)
        else:
            cand = _literal(res.path)
        if cand.endswith("/*"):
            return _path(cand[:-2] or "/", None, self.ns), True
        if cand.endswith("/") and cand != "/":
            return _path(cand.rstrip("/") or "/", None, self.ns), True
        return _path(cand, None, self.ns), False

    async def generated_name(self, parent: str) -> str:
        exact = self.params.first(":name")
        if exact:
            name = _valid_name(exact, self.ns)
            if await self.session.exists(P.join(parent, name)):
                raise NameInUse(f"a node {name!r} exists below {parent}", path=P.join(parent, name))
            return name
        max_length = self.ctx.max_name_length
        hint = self.params.first(":nameHint")
        if not hint:
            hint = self._content_hint()
        name = (
            filter_name(hint, max_length)
            if hint
            else f"{next(_name_counter)}_{int(time.time() * 1000)}"
        )
        return await _unique_child(self.session, parent, name)

    def _content_hint(self) -> str | None:
        dot_mode = any(k.startswith("./") for k, _ in self.params.items)
        for hint in NAME_HINTS:
            key = "./" + hint if dot_mode else hint
            for value in self.params.all(key):
                if isinstance(value, str) and value:
                    return value
            source = self.params.first(key + "@ValueFrom")
            if source:
                for value in self.params.all(source):
                    if isinstance(value, str) and value:
                        return value
        return None

    async def run(self) -> PostResult:
        path, generated = await self.target()
        if generated:
            path = P.join(path, await self.generated_name(path))
        self.props = content_properties(self.params, path, self.ns)
        existed = await self.session.exists(path)
        await self.ensure_node(path)
        if existed:
            await self.apply_types(path)
        for rp in self.props.values():
            if rp.move_from is not None:
                await self.move_or_copy(rp, rp.move_from, move=True)
        for rp in self.props.values():
            if rp.copy_from is not None:
                await self.move_or_copy(rp, rp.copy_from, move=False)
        for rp in self.props.values():
            if rp.delete:
                await self.delete(rp)
        for rp in self.props.values():
            await self.write(rp)
        order = self.params.first(":order")
        if order is not None and order.strip():
            await apply_order(self.session, path, order)
        return PostResult(path, 201 if not existed else 200, is_create=not existed)

    # --- nodes ---
    def _type_param(self, node_path: str, name: str) -> RequestProperty | None:
        return self.props.get(P.join(node_path, name))

    async def ensure_node(self, path: str) -> None:
        if await self.session.exists(path):
            return
        if path != P.ROOT:
            await self.ensure_node(P.parent(path))
        primary_rp = self._type_param(path, N.JCR_PRIMARY_TYPE)
        mixin_rp = self._type_param(path, N.JCR_MIXIN_TYPES)
        primary = _first_text(primary_rp.values) if primary_rp and primary_rp.values else None
        mixins = (
            [v for v in mixin_rp.values if isinstance(v, str) and v]
            if mixin_rp and mixin_rp.values
            else []
        )
        await self.add_node(path, primary or None, mixins)

    async def add_node(
        self,
        path: str,
        primary: str | None,
        mixins: list[str] | None = None,
        properties: dict[str, Any] | None = None,
    ) -> None:
        if path != P.ROOT:
            _valid_name(P.name(path), self.ns)
        try:
            await self.session.add_node(path, primary, mixins=mixins or (), properties=properties)
        except ConstraintViolation as exc:
            if "child" in exc.details:
                raise ChildNodeNotAllowed(exc.message, **exc.details) from exc
            raise
        self.created.add(path)

    async def apply_types(self, path: str) -> None:
        primary_rp = self._type_param(path, N.JCR_PRIMARY_TYPE)
        if primary_rp and primary_rp.values:
            await self._set_primary(path, primary_rp)
        mixin_rp = self._type_param(path, N.JCR_MIXIN_TYPES)
        if mixin_rp and (mixin_rp.values or mixin_rp.delete):
            await self._set_mixins(path, mixin_rp)

    async def _set_primary(self, path: str, rp: RequestProperty) -> None:
        primary = _first_text(rp.values or [])
        node = await self.session.node(path)
        if primary and primary != node.primary_type:
            await self.session.set_primary_type(path, primary)

    async def _set_mixins(self, path: str, rp: RequestProperty) -> None:
        mixins = [v for v in rp.values or [] if isinstance(v, str) and v]
        node = await self.session.node(path)
        if list(node.mixins) != mixins:
            await self.session.set_mixins(path, mixins)

    # --- @MoveFrom / @CopyFrom / @Delete ---
    async def move_or_copy(self, rp: RequestProperty, source: str, *, move: bool) -> None:
        src = _path(source, rp.parent, self.ns) if source else None
        if src is None:
            return
        session = self.session
        if await session.exists(src):
            await self._clear(rp.path)
            await self.ensure_node(rp.parent)
            if move:
                await session.move(src, rp.path)
            else:
                await session.copy(src, rp.path)
            return
        if src == P.ROOT or not await session.item_exists(src):
            return
        prop = await session.get_property(src)
        await self._clear(rp.path)
        await self.ensure_node(rp.parent)
        await session.set_property(rp.parent, rp.name, prop)
        if move:
            await session.remove_property(P.parent(src), P.name(src))

    async def _clear(self, path: str) -> None:
        if await self.session.exists(path):
            await self.session.remove(path)
        elif await self.session.item_exists(path):
            node = await self.session.node(P.parent(path))
            if P.name(path) in node.properties:
                await self.session.remove_property(P.parent(path), P.name(path))

    async def delete(self, rp: RequestProperty) -> None:
        if rp.name == N.JCR_MIXIN_TYPES:
            node = await self.session.get_node(rp.parent)
            if node is not None and node.mixins:
                await self.session.set_mixins(rp.parent, [])
            return
        node = await self.session.get_node(rp.parent)
        if node is None:
            return
        if rp.name in node.properties:
            await self.session.remove_property(rp.parent, rp.name)
        elif await self.session.exists(rp.path):
            await self.session.remove(rp.path)

    # --- values ---
    def _values(self, rp: RequestProperty) -> list[ParamValue] | None:
        values = rp.values
        if rp.value_from is not None:
            source = self.params.all(rp.value_from)
            values = source if source else None
        if values is None and rp.use_default_when_missing and rp.default is not None:
            values = [rp.default]
        return values

    async def write(self, rp: RequestProperty) -> None:
        values = self._values(rp)
        if values is None:
            return
        if rp.name in (N.JCR_PRIMARY_TYPE, N.JCR_MIXIN_TYPES):
            if rp.parent not in self.created:
                await self.ensure_node(rp.parent)
                if rp.parent not in self.created:
                    await self.apply_types(rp.parent)
            return
        uploads = [v for v in values if isinstance(v, Upload)]
        if uploads:
            for upload in uploads:
                if upload.data:
                    await self.upload(rp, upload)
            return
        texts = [v for v in values if isinstance(v, str)]
        if rp.ignore_blanks:
            texts = [t for t in texts if t]
            if not texts:
                return
        session = self.session
        if len(texts) == 1 and texts[0] == "" and not rp.patch:
            if rp.default is not None:
                if rp.default == ":ignore":
                    return
                if rp.default == ":null":
                    await self._remove_property(rp)
                    return
                texts = [rp.default]
            if texts == [""]:
                if await self._auto_value(rp):
                    return
                await self._remove_property(rp)
                return
        await self.ensure_node(rp.parent)
        node = await session.node(rp.parent)
        existing = node.properties.get(rp.name)
        hint_type, hint_multi = _hint_type(rp.type_hint)
        type_ = hint_type or (existing.type if existing is not None else PropertyType.STRING)
        multiple = (
            len(texts) > 1 or hint_multi or rp.patch or (existing is not None and existing.multiple)
        )
        if rp.patch:
            prop = await self._patched(rp, texts, type_, existing)
            if prop is None:
                return
        else:
            converted = [await self._convert(t, type_) for t in texts]
            prop = Property(type_, multiple, tuple(converted))
        await session.set_property(rp.parent, rp.name, prop)

    async def _remove_property(self, rp: RequestProperty) -> None:
        node = await self.session.get_node(rp.parent)
        if node is not None and rp.name in node.properties:
            await self.session.remove_property(rp.parent, rp.name)

    async def _auto_value(self, rp: RequestProperty) -> bool:
        """Fill created/lastModified(By) posted empty (sling-http §3.5); True when handled."""
        name = rp.name
        is_new = rp.parent in self.created
        value: Property | None
        is_created_kind = name in AUTO_CREATED_DATES or name in AUTO_CREATED_BY
        if is_created_kind and not is_new and await self.session.exists(rp.parent):
            return True
        if name in AUTO_CREATED_DATES or name in AUTO_MODIFIED_DATES:
            value = Property(PropertyType.DATE, False, (self.now,))
        elif name in AUTO_CREATED_BY or name in AUTO_MODIFIED_BY:
            value = Property(PropertyType.STRING, False, (self.session.user_id,))
        else:
            return False
        await self.ensure_node(rp.parent)
        node = await self.session.node(rp.parent)
        eff = self.session.registry.effective(node.primary_type, node.mixins)
        if eff.is_protected_property(name):
            return True  # the node type maintains it
        await self.session.set_property(rp.parent, name, value)
        return True

    async def _convert(self, text: str, type_: PropertyType) -> Value:
        try:
            if type_ is PropertyType.DATE:
                return parse_sling_date(text)
            if type_ in (PropertyType.REFERENCE, PropertyType.WEAKREFERENCE) and text.startswith(
                "/"
            ):
                node = await self.session.get_node(_path(text, None, self.ns))
                if node is None or node.uuid is None:
                    raise InvalidValue(f"no referenceable node at {text}", value=text[:100])
                return node.uuid
            return parse_value(text, type_)
        except InvalidValue as exc:
            raise UnprocessableValue(exc.message, **exc.details) from exc

    async def _patched(
        self,
        rp: RequestProperty,
        texts: list[str],
        type_: PropertyType,
        existing: Property | None,
    ) -> Property | None:
        current: list[Value] = list(existing.values) if existing is not None else []
        effective = False
        for text in texts:
            if text.startswith("+"):
                value = await self._convert(text[1:], type_)
                if value not in current:
                    current.append(value)
                effective = True
            elif text.startswith("-"):
                value = await self._convert(text[1:], type_)
                current = [v for v in current if v != value]
                effective = True
        if not effective:
            return None
        return Property(type_, True, tuple(current))

    async def upload(self, rp: RequestProperty, upload: Upload) -> None:
        """A file part: an nt:file (+ jcr:content) or an nt:resource-like node (sling-http §3.8)."""
        name = rp.name
        if name == "*":
            name = re.split(r"[\\/]", upload.filename)[-1]
        name = _valid_name(name, self.ns)
        await self.ensure_node(rp.parent)
        parent = await self.session.node(rp.parent)
        path = P.join(rp.parent, name)
        mime = upload.content_type
        if not mime or mime.split(";")[0].strip() == "application/octet-stream":
            mime = _MIME.guess_type(upload.filename)[0] or "application/octet-stream"
        hint = (rp.type_hint or "").strip() or None
        registry = self.session.registry
        is_file = (
            hint == N.NT_FILE
            or registry.is_subtype(parent.primary_type, N.NT_FOLDER)
            or "." in name[1:]
        )
        props: dict[str, Any] = {
            N.JCR_DATA: Property(PropertyType.BINARY, False, (Binary.of(upload.data),)),
            N.JCR_MIMETYPE: Property(PropertyType.STRING, False, (mime,)),
            N.JCR_LAST_MODIFIED: Property(PropertyType.DATE, False, (self.now,)),
        }
        if is_file:
            if not await self.session.exists(path):
                await self.add_node(path, N.NT_FILE)
            data_path = P.join(path, N.JCR_CONTENT)
            data_type = N.NT_RESOURCE
        else:
            data_path = path
            data_type = hint or N.NT_RESOURCE
        if await self.session.exists(data_path):
            for pname, prop in props.items():
                await self.session.set_property(data_path, pname, prop)
        else:
            await self.add_node(data_path, data_type, properties=props)


def _first_text(values: list[ParamValue]) -> str | None:
    for v in values:
        if isinstance(v, str):
            return v.strip()
    return None


async def apply_order(session: ContentSession, path: str, spec: str) -> None:
    """`:order` = first | last | before X | after X | N (sling-http §3.9)."""
    if path == P.ROOT:
        return
    spec = spec.strip()
    name = P.name(path)
    siblings = [n for n in await session.child_names(P.parent(path)) if n != name]
    before: str | None
    if spec == "first":
        before = siblings[0] if siblings else None
    elif spec == "last":
        before = None
    elif spec.startswith(("before ", "after ")):
        where, _, sibling = spec.partition(" ")
        sibling = sibling.strip()
        if sibling not in siblings:
            raise UnknownSibling(f"no sibling {sibling!r} of {path}", path=path, sibling=sibling)
        index = siblings.index(sibling) + (1 if where == "after" else 0)
        before = siblings[index] if index < len(siblings) else None
    elif spec.isascii() and spec.isdigit():
        index = int(spec)
        before = siblings[index] if index < len(siblings) else None
    else:
        raise InvalidOrder(f"invalid :order {spec[:60]!r}", order=spec[:60])
    await session.order_before(path, before)


async def modify(ctx: PostContext) -> PostResult:
    return await Modify(ctx).run()


# --- delete, move, copy -----------------------------------------------------------------------
async def _apply_to(ctx: PostContext) -> list[str] | None:
    """The resources named by `:applyTo` (existing ones only), or None when absent."""
    values = [v for v in ctx.params.all(":applyTo") if isinstance(v, str) and v]
    if not values:
        return None
    base = ctx.resource.path if ctx.resource.kind != "property" else P.parent(ctx.resource.path)
    ns = ctx.session.registry.namespaces
    out: list[str] = []
    for value in values:
        if value.endswith("*"):
            folder_text = value[:-1].rstrip("/")
            folder = (
                base if value in ("*", "/*") or not folder_text else _path(folder_text, base, ns)
            )
            if await ctx.session.exists(folder):
                out.extend(P.join(folder, n) for n in await ctx.session.child_names(folder))
            continue
        path = _path(value, base, ns)
        if await ctx.session.item_exists(path):
            out.append(path)
    return list(dict.fromkeys(out))


async def _remove_item(session: ContentSession, path: str) -> None:
    if await session.exists(path):
        await session.remove(path)
    elif path != P.ROOT and await session.item_exists(path):
        await session.remove_property(P.parent(path), P.name(path))


async def delete(ctx: PostContext) -> PostResult:
    res = ctx.resource
    if res.has_decorations:
        raise DeleteWithSelectors(
            "delete is refused on a URL with selectors, extension or suffix", path=res.raw
        )
    targets = await _apply_to(ctx)
    if targets is None:
        if not res.exists:
            raise NodeNotFound(f"no resource at {res.path}", path=res.path)
        targets = [res.path]
    done: list[str] = []
    for path in targets:
        if any(P.is_same_or_descendant(path, d) for d in done):
            continue
        await _remove_item(ctx.session, path)
        done.append(path)
    return PostResult(res.path, 200)


async def _transfer(session: ContentSession, source: str, dest: str, *, move: bool) -> None:
    if await session.exists(source):
        if move:
            await session.move(source, dest)
        else:
            await session.copy(source, dest)
        return
    prop = await session.get_property(source)
    await session.set_property(P.parent(dest), P.name(dest), prop)
    if move:
        await session.remove_property(P.parent(source), P.name(source))


async def _move_or_copy(ctx: PostContext, *, move: bool) -> PostResult:
    session = ctx.session
    res = ctx.resource
    dest_text = ctx.params.first(":dest")
    if not dest_text:
        raise MissingDestination("the :dest parameter is missing")
    base = P.parent(res.path) if res.exists and res.path != P.ROOT else P.ROOT
    into = dest_text.endswith("/")
    dest = _path(dest_text.rstrip("/") or "/", base, session.registry.namespaces)
    replace = ctx.params.is_true(":replace")
    sources = await _apply_to(ctx)
    if sources is not None:
        if not into:
            if await session.item_exists(dest):
                raise DestinationExists(f"{dest} exists", path=dest)
            raise DestinationNotFolder(
                "with :applyTo, :dest must name a folder (end with /)", path=dest
            )
        if not await session.exists(dest):
            raise DestinationParentMissing(f"the destination {dest} does not exist", path=dest)
        for source in sources:
            target = P.join(dest, P.name(source))
            if P.is_same_or_descendant(target, source):
                raise MoveIntoDescendant(f"cannot put {source} into its own subtree", path=source)
            if target == source:
                continue
            await _remove_item(session, target)
            await _transfer(session, source, target, move=move)
        return PostResult(dest, 200)
    if not res.exists:
        raise NodeNotFound(f"no resource at {res.path}", path=res.path)
    target = P.join(dest, P.name(res.path)) if into else dest
    if P.is_same_or_descendant(target, res.path):
        raise MoveIntoDescendant(f"cannot put {res.path} into its own subtree", path=target)
    status = 201
    if await session.item_exists(target):
        if not replace:
            raise DestinationExists(f"{target} exists and :replace is not set", path=target)
        await _remove_item(session, target)
        status = 200
    elif target != P.ROOT and not await session.exists(P.parent(target)):
        raise DestinationParentMissing(
            f"the parent of {target} does not exist", path=P.parent(target)
        )
    await _transfer(session, res.path, target, move=move)
    order = ctx.params.first(":order")
    if order is not None and order.strip() and await session.exists(target):
        await apply_order(session, target, order)
    return PostResult(target, status, is_create=status == 201)


async def move(ctx: PostContext) -> PostResult:
    return await _move_or_copy(ctx, move=True)


async def copy(ctx: PostContext) -> PostResult:
    return await _move_or_copy(ctx, move=False)


# --- import, nop ------------------------------------------------------------------------------
async def import_content(ctx: PostContext) -> PostResult:
    """`:operation=import` of a JSON document (sling-http §3.10)."""
    params, session = ctx.params, ctx.session
    content_type = (params.first(":contentType") or "").strip().lower()
    text = params.first(":content")
    if text is None:
        files = [v for v in params.all(":contentFile") if isinstance(v, Upload)]
        text = files[0].data.decode("utf-8", "strict") if files else None
    if not content_type or not text:
        raise MissingParameter("import needs :contentType and :content or :contentFile")
    if content_type != "json":
        raise InvalidInput(
            f"unsupported :contentType {content_type[:40]!r}: only json is supported",
            content_type=content_type[:40],
        )
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested too deeply
        raise InvalidInput(f"the :content is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise InvalidInput("the :content must be a JSON object")
    res = ctx.resource
    target = (
        res.path
        if res.kind == "node"
        else _path(res.path.rstrip("/*") or "/", None, session.registry.namespaces)
    )
    modify_helper = Modify(ctx)
    modify_helper.props = {}
    await modify_helper.ensure_node(target)
    replace = params.is_true(":replace")
    replace_props = params.is_true(":replaceProperties")
    exact = params.first(":name")
    hint = params.first(":nameHint")
    status = 201
    if exact:
        root = P.join(target, _valid_name(exact, session.registry.namespaces))
        if await session.exists(root):
            if not replace:
                raise DestinationExists(f"{root} exists and :replace is not set", path=root)
            await session.remove(root)
            status = 200
    elif hint:
        root = P.join(
            target, await _unique_child(session, target, filter_name(hint, ctx.max_name_length))
        )
    else:
        root = target
    first_created: str | None = None
    for item in parse_document(doc, root):
        if item.path == root and root == target:
            await _merge_properties(session, item.path, item.props, replace_props)
            continue
        if await session.exists(item.path):
            if replace:
                await session.remove(item.path)
            else:
                await _merge_properties(session, item.path, item.props, replace_props)
                continue
        await modify_helper.add_node(item.path, item.primary, item.mixins, dict(item.props))
        first_created = first_created or item.path
    return PostResult(first_created or target, status, is_create=first_created is not None)


async def _merge_properties(
    session: ContentSession, path: str, props: dict[str, Property], replace: bool
) -> None:
    node = await session.node(path)
    for name, prop in props.items():
        if replace or name not in node.properties:
            await session.set_property(path, name, prop)


async def nop(ctx: PostContext) -> PostResult:
    raw = (ctx.params.first(":nopstatus") or "").strip()
    status = int(raw) if raw.isascii() and raw.isdigit() and 100 <= int(raw) <= 999 else 200
    return PostResult(ctx.resource.path, status, message=f"Null Operation Status: {status}")


OPERATIONS: Final[dict[str, Operation]] = {
    "": modify,
    "modify": modify,
    "delete": delete,
    "move": move,
    "copy": copy,
    "import": import_content,
    "nop": nop,
}
