"""URL path -> resource: Sling's resolution of nodes, properties, star and missing resources.

sling-http §1: try the whole path, then cut before each `.` from the right; the first candidate
that is a node or a property is the resource, and what remains is `.selectors.extension/suffix`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from repo_server.errors import InvalidInput
from repo_server.model import names as N
from repo_server.model import path as P
from repo_server.model.names import NamespaceRegistry
from repo_server.session.session import ContentSession

ResourceKind = Literal["node", "property", "star", "missing"]


@dataclass(frozen=True, slots=True)
class Resource:
    """What a request path names. `path` is the repository path (for `missing`: P verbatim)."""

    kind: ResourceKind
    path: str
    selectors: tuple[str, ...] = ()
    extension: str | None = None
    suffix: str | None = None
    raw: str = "/"

    @property
    def exists(self) -> bool:
        return self.kind in ("node", "property")

    @property
    def has_decorations(self) -> bool:
        """Selectors, extension or suffix present (a delete then is refused)."""
        return bool(self.selectors) or self.extension is not None or self.suffix is not None


def split_decorations(rest: str) -> tuple[tuple[str, ...], str | None, str | None]:
    """`.s1.s2.ext/suffix` -> (selectors, extension, suffix)."""
    suffix: str | None = None
    cut = rest.find("/")
    if cut >= 0:
        rest, suffix = rest[:cut], rest[cut:]
    parts = rest.split(".")[1:] if rest.startswith(".") else []
    if not parts:
        return (), None, suffix
    return tuple(parts[:-1]), parts[-1], suffix


def _candidate(text: str, namespaces: NamespaceRegistry) -> str | None:
    """A normalised repository path for a candidate, or None if it cannot name an item."""
    if not text.startswith("/"):
        return None
    if text != "/" and (text.endswith("/") or "//" in text):
        return None
    try:
        return P.normalize(text, namespaces=namespaces)
    except InvalidInput:
        return None


async def resolve(session: ContentSession, raw: str) -> Resource:
    """Resolve the (percent-decoded) request path `raw` against the repository."""
    if not raw.startswith("/"):
        raw = "/" + raw
    star = _star_index(raw)
    if star is not None:
        path = raw[: star + 1]
        selectors, extension, suffix = split_decorations(raw[star + 1 :])
        return Resource("star", path, selectors, extension, suffix, raw)
    body = raw
    if len(raw) > 1 and raw.endswith("/"):
        # `/a/b/` is node /a/b with suffix `/` (when it exists)
        body = raw.rstrip("/") or "/"
    end = len(body)
    while True:
        text = body[:end]
        candidate = _candidate(text, session.registry.namespaces)
        if candidate is not None and (text == candidate or (text == "/" and candidate == P.ROOT)):
            kind = await _kind(session, candidate)
            if kind is not None:
                selectors, extension, suffix = split_decorations(raw[end:])
                return Resource(kind, candidate, selectors, extension, suffix, raw)
        end = body.rfind(".", 0, end)
        if end <= 0:
            break
    first = raw.find(".")
    selectors, extension, suffix = split_decorations(raw[first:]) if first > 0 else ((), None, None)
    return Resource("missing", raw, selectors, extension, suffix, raw)


def _star_index(raw: str) -> int | None:
    """Index of the `*` of a star segment (`*` or `*.…`), or None."""
    start = 0
    while True:
        found = raw.find("/*", start)
        if found < 0:
            return None
        after = found + 2
        if after == len(raw) or raw[after] in "./":
            return found + 1
        start = after


async def _kind(session: ContentSession, path: str) -> ResourceKind | None:
    try:
        return await _item_kind(session, path)
    except InvalidInput:
        # TODO(#3): ContentSession normalises paths with the built-in namespaces only, so a
        # path with a prefix registered at run time cannot be read back yet.
        return None


async def _item_kind(session: ContentSession, path: str) -> ResourceKind | None:
    if await session.get_node(path) is not None:
        return "node"
    if path == P.ROOT:
        return None
    parent = await session.get_node(P.parent(path))
    if parent is None:
        return None
    name = P.name(path)
    if name in parent.properties or name == N.JCR_PRIMARY_TYPE:
        return "property"
    if name == N.JCR_MIXIN_TYPES and parent.mixins:
        return "property"
    return None
