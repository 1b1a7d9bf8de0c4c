"""Absolute repository paths as normalized strings: parse, parent, name, join, ancestry.

Paths are plain `str` in normalized form (spec §2.2): absolute, no trailing `/`, no `.`/`..`,
no empty segments. Strings keep the hot paths (cache keys, SQL parameters) allocation-free.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

from repo_server.errors import InvalidName, InvalidPath
from repo_server.model.names import DEFAULT_NAMESPACES, NamespaceRegistry, validate_name

ROOT: Final = "/"
MAX_DEPTH: Final = 100
MAX_PATH_BYTES: Final = 4096


def _strip_index(segment: str, full: str) -> str:
    # `name[1]` equals `name`; `name[n>1]` names a same-name sibling, which never exists (§6.3).
    if segment.endswith("]"):
        start = segment.rfind("[")
        if start > 0:
            index = segment[start + 1 : -1]
            if index == "1":
                return segment[:start]
            if index.isdigit():
                raise InvalidPath(
                    f"same-name sibling index in {full!r} is not supported", path=full
                )
    return segment


def _split(path: str) -> list[str]:
    """Split at `/`, except inside an expanded name's `{uri}`, whose URI holds slashes."""
    if "{" not in path:
        return path.split("/")
    parts: list[str] = []
    start = depth = 0
    for index, char in enumerate(path):
        if char == "{":
            depth += 1
        elif char == "}" and depth:
            depth -= 1
        elif char == "/" and not depth:
            parts.append(path[start:index])
            start = index + 1
    parts.append(path[start:])
    return parts


def _normalize_segments(path: str, namespaces: NamespaceRegistry, base: list[str]) -> list[str]:
    out = list(base)
    for raw in _split(path):
        if raw in ("", "."):
            continue
        if raw == "..":
            if not out:
                raise InvalidPath(f"path {path!r} goes above the root", path=path)
            out.pop()
            continue
        segment = _strip_index(raw, path)
        try:
            out.append(validate_name(segment, namespaces))
        except InvalidName as exc:
            raise InvalidPath(f"invalid path {path!r}: {exc.message}", path=path) from None
    return out


def _join_checked(segments: list[str], original: str) -> str:
    if len(segments) > MAX_DEPTH:
        raise InvalidPath(f"path {original[:80]!r} is deeper than {MAX_DEPTH}", path=original)
    result = "/" + "/".join(segments)
    if len(result.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
        raise InvalidPath(f"path is longer than {MAX_PATH_BYTES} bytes", path=original[:80])
    return result


@lru_cache(maxsize=65536)
def _normalize_absolute(path: str) -> str:
    return _join_checked(_normalize_segments(path, DEFAULT_NAMESPACES, []), path)


def normalize(
    path: str, base: str | None = None, namespaces: NamespaceRegistry | None = None
) -> str:
    """Return the normalized absolute form of `path` (relative paths resolve against `base`).

    Raises InvalidPath for anything that is not a valid path.
    """
    if not path:
        raise InvalidPath(f"invalid path {path!r}", path=str(path))
    if "\x00" in path:
        raise InvalidPath("a path must not contain NUL", path=path.replace("\x00", "\\0"))
    if not path.startswith("/"):
        if base is None:
            raise InvalidPath(f"path {path!r} is not absolute", path=path)
        ns = namespaces or DEFAULT_NAMESPACES
        return _join_checked(_normalize_segments(path, ns, segments(normalize(base))), path)
    if namespaces is None or namespaces is DEFAULT_NAMESPACES:
        return _normalize_absolute(path)
    return _join_checked(_normalize_segments(path, namespaces, []), path)


def normalize_relative(path: str, namespaces: NamespaceRegistry | None = None) -> str:
    """Normalize a relative path (PATH values, `get_inherited` names); `..` may remain leading."""
    ns = namespaces or DEFAULT_NAMESPACES
    if path.startswith("/"):
        return normalize(path, namespaces=ns)
    out: list[str] = []
    for raw in _split(path):
        if raw in ("", "."):
            continue
        if raw == "..":
            if out and out[-1] != "..":
                out.pop()
            else:
                out.append("..")
            continue
        try:
            out.append(validate_name(_strip_index(raw, path), ns))
        except InvalidName as exc:
            raise InvalidPath(f"invalid path {path!r}: {exc.message}", path=path) from None
    return "/".join(out) if out else "."


def segments(path: str) -> list[str]:
    return [] if path == ROOT else path[1:].split("/")


def parent(path: str) -> str:
    """The parent path; the root has none (InvalidPath)."""
    if path == ROOT:
        raise InvalidPath("the root node has no parent", path=path)
    cut = path.rfind("/")
    return path[:cut] if cut > 0 else ROOT


def name(path: str) -> str:
    return "" if path == ROOT else path[path.rfind("/") + 1 :]


def join(base: str, child: str) -> str:
    return base + child if base == ROOT else f"{base}/{child}"


def depth(path: str) -> int:
    return 0 if path == ROOT else path.count("/")


def is_ancestor(ancestor: str, path: str) -> bool:
    """True if `ancestor` is a strict ancestor of `path`."""
    if ancestor == ROOT:
        return path != ROOT
    return path.startswith(ancestor) and path[len(ancestor) : len(ancestor) + 1] == "/"


def is_same_or_descendant(path: str, ancestor: str) -> bool:
    return path == ancestor or is_ancestor(ancestor, path)


def ancestors(path: str) -> list[str]:
    """Strict ancestors of `path`, nearest first, ending with the root."""
    out: list[str] = []
    while path != ROOT:
        path = parent(path)
        out.append(path)
    return out


def rebase(path: str, old_prefix: str, new_prefix: str) -> str:
    """Replace the leading `old_prefix` of `path` (itself or an ancestor) by `new_prefix`."""
    if path == old_prefix:
        return new_prefix
    rest = path[len(old_prefix) :] if old_prefix != ROOT else path
    return new_prefix + rest if new_prefix != ROOT else rest


def relative(path: str, ancestor: str) -> str:
    """`path` relative to `ancestor` ('' when equal)."""
    if path == ancestor:
        return ""
    return path[len(ancestor) + 1 :] if ancestor != ROOT else path[1:]
