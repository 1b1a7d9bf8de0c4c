"""Content handlers: GET/HEAD renderings, POST (the Sling POST servlet), PATCH, DELETE.

One catch-all route serves every path not claimed by an earlier route (create_app registers
it last). GET dispatch follows sling-http §2.1; plugins' renderers are consulted first.

Performance (issue 3): a node GET resolves through the store's hot-node cache, and JSON
bodies are kept in a small per-app cache keyed by (path, user) and dropped as soon as the
store's commit generation moves on, so a repeated GET costs one dict lookup.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from aiohttp import web
from jsonpointer import JsonPointer, JsonPointerException

from repo_server.errors import (
    Forbidden,
    InvalidInput,
    InvalidPointer,
    InvalidValue,
    MoveIntoDescendant,
    NodeNotFound,
    NotFound,
    PatchTestFailed,
    PayloadTooLarge,
    PropertyNotFound,
    UnsupportedMediaType,
)
from repo_server.http import post, render
from repo_server.http.keys import extensions_key, repository_key, settings_key
from repo_server.http.post import change_entries, check_if_match
from repo_server.http.resolve import Resource, resolve
from repo_server.http.security_http import session_for, user_id_key
from repo_server.model import names as N
from repo_server.model import path as P
from repo_server.model.node import Node
from repo_server.model.values import Binary, Property, convert_property
from repo_server.session.content import json_property, parse_document
from repo_server.session.session import ContentSession, NodeTree

JSON_TYPE: Final = "application/json"
_CACHE_LIMIT: Final = 2048


@dataclass(frozen=True, slots=True)
class Rendered:
    """A cached JSON rendering, valid while the store's generation is `generation`."""

    generation: int
    status: int
    body: bytes
    etag: str | None


class RenderCache:
    """Rendered JSON bodies keyed by (request path, user); coherent through the generation."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], Rendered] = {}

    def get(self, key: tuple[str, str], generation: int) -> Rendered | None:
        found = self.entries.get(key)
        if found is not None and found.generation == generation:
            return found
        return None

    def put(self, key: tuple[str, str], value: Rendered) -> None:
        if len(self.entries) >= _CACHE_LIMIT:
            self.entries.clear()
        self.entries[key] = value


def _etag(revision: int) -> str:
    return f'"{revision}"'


def _json_response(body: bytes, status: int = 200, etag: str | None = None) -> web.Response:
    resp = web.Response(body=body, status=status, content_type=JSON_TYPE, charset="utf-8")
    if etag is not None:
        resp.headers["ETag"] = etag
    return resp


def _not_modified(request: web.Request, etag: str | None) -> bool:
    wanted = request.headers.get("If-None-Match")
    if wanted is None or etag is None:
        return False
    return wanted.strip() == "*" or etag in [t.strip() for t in wanted.split(",")]


def _tree_revision(tree: NodeTree) -> int:
    best = tree.node.revision
    stack = list(tree.children)
    while stack:
        item = stack.pop()
        best = max(best, item.node.revision)
        stack.extend(item.children)
    return best


async def render_node_json(
    request: web.Request, session: ContentSession, node: Node, selectors: tuple[str, ...]
) -> tuple[int, bytes, str | None]:
    """(status, body, etag) of `/path[.selectors].json` for an existing node (sling-http §2.2)."""
    options = render.parse_json_selectors(selectors)
    depth = options.depth
    if depth == 0:
        body = render.node_properties(node)
        return 200, render.dumps(body, options.tidy), _etag(node.revision)
    if depth is None or depth >= 2:
        limit = request.app[settings_key].json_max_results
        fitting = await _fitting_depth(session, node.path, depth, limit)
        if fitting is not None:
            tidy = ".tidy" if options.tidy else ""
            urls = [f"{node.path}{tidy}.{d}.json" for d in range(fitting, -1, -1)]
            return 300, render.dumps(urls, options.tidy), None
    tree = await session.subtree(node.path, depth)
    body = render.node_object(tree, options.harray)
    return 200, render.dumps(body, options.tidy), _etag(_tree_revision(tree))


async def _fitting_depth(
    session: ContentSession, path: str, depth: int | None, limit: int
) -> int | None:
    """None when the requested depth fits the node limit, else the deepest depth that does."""
    levels = P.MAX_DEPTH - P.depth(path)
    if depth is not None:
        levels = min(levels, depth)
    if levels < 2:
        return None
    counts = await session.count_descendants(path, levels, limit)
    if sum(counts) <= limit:
        return None
    # The first count stops early; the exact per-level counts are only needed on this path.
    counts = await session.count_descendants(path, levels, 2**62)
    total = 0
    fitting = 0
    for level, count in enumerate(counts, start=1):
        total += count
        if total > limit:
            break
        fitting = level
    return fitting


def _is_file_like(node: Node) -> bool:
    return N.JCR_DATA in node.properties


async def _raw_file(session: ContentSession, node: Node) -> web.Response | None:
    data_node = node
    if not _is_file_like(node):
        if node.primary_type != N.NT_FILE:
            return None
        content = await session.get_node(P.join(node.path, N.JCR_CONTENT))
        if content is None or not _is_file_like(content):
            return None
        data_node = content
    prop = data_node.properties[N.JCR_DATA]
    value = prop.values[0] if prop.values else None
    if not isinstance(value, Binary):
        data = b"" if value is None else render.value_text(value, prop.type).encode("utf-8")
    else:
        data = await session.read_binary(value)
    mime = data_node.properties.get(N.JCR_MIMETYPE)
    content_type = str(mime.values[0]) if mime and mime.values else "application/octet-stream"
    resp = web.Response(body=data)
    resp.headers["Content-Type"] = content_type
    resp.headers["ETag"] = _etag(data_node.revision)
    return resp


def _text(body: str, content_type: str = "text/plain") -> web.Response:
    return web.Response(text=body, content_type=content_type, charset="utf-8")


async def _get_property(
    request: web.Request, session: ContentSession, resource: Resource
) -> web.StreamResponse:
    parent = await session.node(P.parent(resource.path))
    name = P.name(resource.path)
    prop = render.type_property(parent, name)
    if prop is None:
        raise PropertyNotFound(f"no property at {resource.path}", path=resource.path)
    ext = resource.extension
    if ext == "json":
        return _json_response(
            render.dumps(render.property_json(name, prop)), etag=_etag(parent.revision)
        )
    if ext is None or ext == "res":
        if prop.multiple:
            raise Forbidden(
                f"{resource.path} is multi-valued: request it as .json or .txt",
                path=resource.path,
            )
        value = prop.values[0]
        if isinstance(value, Binary):
            return web.Response(body=await session.read_binary(value))
        return _text(render.property_txt(prop))
    if ext == "txt":
        return _text(render.property_txt(prop))
    raise NotFound(f"no rendering of a property as .{ext}", path=resource.path, extension=ext)


async def handle_get(request: web.Request) -> web.StreamResponse:
    cache: RenderCache = request.app[_cache_key]
    raw = request.path
    user = request.get(user_id_key, "")
    store = request.app[repository_key].store
    generation = store.generation
    key = (raw, user)
    hit = cache.get(key, generation)
    if hit is not None:
        if _not_modified(request, hit.etag):
            return web.Response(status=304, headers={"ETag": hit.etag or ""})
        return _json_response(hit.body, hit.status, hit.etag)
    session = session_for(request)
    resource = await resolve(session, raw)
    ext = resource.extension
    if resource.kind == "star":
        if ext == "json":
            return _json_response(b"{}")
        if ext == "html":
            return _text(render.star_html(resource.path), "text/html")
        raise NotFound(f"no rendering of {raw}", path=raw)
    if resource.kind == "missing":
        raise NodeNotFound(f"no resource at {raw}", path=raw)
    if ext is not None:
        renderers = request.app[extensions_key].renderers
        if renderers:
            first = resource.selectors[0] if resource.selectors else ""
            renderer = renderers.get((first, ext)) or renderers.get(("", ext))
            if renderer is not None:
                return await renderer(request, session, resource.path, resource.selectors)
    if resource.kind == "property":
        return await _get_property(request, session, resource)
    node = await session.node(resource.path)
    if ext == "json":
        status, body, etag = await render_node_json(request, session, node, resource.selectors)
        if status == 200:
            cache.put(key, Rendered(generation, status, body, etag))
        if _not_modified(request, etag):
            return web.Response(status=304, headers={"ETag": etag or ""})
        return _json_response(body, status, etag)
    if ext is None:
        raw_file = await _raw_file(session, node)
        if raw_file is not None:
            return raw_file
        return _text(render.node_html(node, await session.children(node.path)), "text/html")
    if ext == "html":
        return _text(render.node_html(node, await session.children(node.path)), "text/html")
    if ext == "txt":
        return _text(render.node_txt(node))
    if ext == "xml":
        return _text(render.node_xml(node, await session.children(node.path)), "application/xml")
    raise NotFound(f"no rendering of {resource.path} as .{ext}", path=resource.path, extension=ext)


async def handle_delete(request: web.Request) -> web.StreamResponse:
    """DELETE of a node (its subtree) or a property: 204."""
    session = session_for(request)
    resource = await resolve(session, request.path)
    if resource.kind not in ("node", "property") or resource.has_decorations:
        raise NodeNotFound(f"no resource at {request.path}", path=request.path)
    if resource.kind == "node":
        await check_if_match(request, session, resource.path)
        await session.remove(resource.path)
    else:
        await check_if_match(request, session, P.parent(resource.path))
        await session.remove_property(P.parent(resource.path), P.name(resource.path))
    await session.save()
    return web.Response(status=204)


# TODO(#3): move to http/keys.py (not this module's file) once the key list settles.
_cache_key: Final = web.AppKey("render_cache_key", RenderCache)


# --- PATCH: RFC 6902 JSON Patch below the request node ------------------------------------------
@dataclass(frozen=True, slots=True)
class Target:
    """Where a JSON pointer lands: a node, a property, or one value of a multi-valued one."""

    node: str
    name: str | None = None
    index: str | None = None

    @property
    def path(self) -> str:
        return self.node if self.name is None else P.join(self.node, self.name)


async def _locate(session: ContentSession, base: str, pointer: Any) -> Target:
    if not isinstance(pointer, str):
        raise InvalidPointer("a JSON Patch operation needs a string pointer")
    try:
        parts = [str(p) for p in JsonPointer(pointer).parts]
    except JsonPointerException as exc:
        raise InvalidPointer(
            f"invalid JSON pointer {pointer[:100]!r}: {exc}", pointer=pointer[:100]
        ) from None
    if not parts:
        raise InvalidPointer("the pointer must name a property or a child node below the node")
    node = base
    i = 0
    while i < len(parts) - 1 and await session.exists(P.join(node, N.validate_name(parts[i]))):
        node = P.join(node, parts[i])
        i += 1
    rest = parts[i:]
    if len(rest) == 1:
        return Target(node, N.validate_name(rest[0]))
    if len(rest) == 2:
        name = N.validate_name(rest[0])
        owner = await session.node(node)
        if name not in owner.properties:
            raise PropertyNotFound(f"no property at {P.join(node, name)}", path=P.join(node, name))
        return Target(node, name, rest[1])
    missing = P.join(node, rest[0])
    raise NodeNotFound(f"no node at {missing}", path=missing, pointer=pointer[:100])


def _index(raw: str, size: int, *, for_insert: bool) -> int:
    if raw == "-" and for_insert:
        return size
    if not (raw.isascii() and raw.isdigit()) or (raw != "0" and raw.startswith("0")):
        raise InvalidPointer(f"invalid array index {raw[:20]!r}", index=raw[:20])
    index = int(raw)
    if index > size or (index == size and not for_insert):
        raise InvalidPointer(f"array index {index} is out of range", index=index)
    return index


async def _read_target(session: ContentSession, target: Target) -> Property | Node:
    if target.name is not None and target.index is None:
        if await session.exists(target.path):
            return await session.node(target.path)
        return await session.get_property(target.path)
    prop = await session.get_property(target.path)
    if target.index is None:
        return prop
    index = _index(target.index, len(prop.values), for_insert=False)
    return Property(prop.type, False, (prop.values[index],))


def _as_json(item: Property | Node) -> Any:
    if isinstance(item, Node):
        return render.node_properties(item)
    out: dict[str, Any] = {}
    render.put_property(out, "v", item)
    return next(iter(out.values()))


async def _remove_target(session: ContentSession, target: Target) -> None:
    if target.index is not None:
        prop = await session.get_property(target.path)
        index = _index(target.index, len(prop.values), for_insert=False)
        values = prop.values[:index] + prop.values[index + 1 :]
        await session.set_property(
            target.node, target.name or "", Property(prop.type, True, values)
        )
    elif await session.exists(target.path):
        await session.remove(target.path)
    else:
        await session.get_property(target.path)  # PropertyNotFound when missing
        await session.remove_property(target.node, target.name or "")


async def _put_value(session: ContentSession, target: Target, value: Any, *, insert: bool) -> None:
    name = target.name or ""
    if target.index is not None:
        prop = await session.get_property(target.path)
        item = json_property(name, value, None)
        if item.multiple:
            raise InvalidValue("an array element must be a scalar", path=target.path)
        converted = convert_property(item, prop.type).values[0]
        index = _index(target.index, len(prop.values), for_insert=insert)
        values = list(prop.values)
        if insert:
            values.insert(index, converted)
        else:
            values[index] = converted
        await session.set_property(target.node, name, Property(prop.type, True, tuple(values)))
        return
    if isinstance(value, dict):
        if await session.exists(target.path):
            await session.remove(target.path)
        for imported in parse_document(value, target.path):
            await session.add_node(
                imported.path, imported.primary, mixins=imported.mixins, properties=imported.props
            )
        return
    if await session.exists(target.path):
        await session.remove(target.path)
    await session.set_property(target.node, name, json_property(name, value, None))


async def _transfer_item(
    session: ContentSession, source: Target, dest: Target, *, move: bool
) -> None:
    if source.index is None and await session.exists(source.path):
        if dest.index is not None:
            raise InvalidPointer("a node cannot go into a property value")
        if P.is_same_or_descendant(dest.path, source.path) and move:
            raise MoveIntoDescendant(f"cannot move {source.path} into itself", path=dest.path)
        if await session.item_exists(dest.path):
            await _remove_target(session, dest)
        if move:
            await session.move(source.path, dest.path)
        else:
            await session.copy(source.path, dest.path)
        return
    item = await _read_target(session, source)
    assert isinstance(item, Property)
    if move:
        await _remove_target(session, source)
    if dest.index is not None:
        await _put_value(session, dest, _as_json(item), insert=True)
    else:
        if await session.exists(dest.path):
            await session.remove(dest.path)
        await session.set_property(dest.node, dest.name or "", item)


async def apply_patch_operation(session: ContentSession, base: str, op: Any) -> None:
    """One RFC 6902 operation; pointers address properties and child nodes below `base`."""
    if not isinstance(op, dict) or not isinstance(op.get("op"), str):
        raise InvalidInput("every JSON Patch operation must be an object with an 'op'")
    kind = op["op"]
    target = await _locate(session, base, op.get("path"))
    if kind in ("add", "replace", "test") and "value" not in op:
        raise InvalidInput(f"the {kind} operation needs a 'value'")
    if kind == "add":
        await _put_value(session, target, op["value"], insert=True)
    elif kind == "replace":
        await _read_target(session, target)  # must exist
        await _put_value(session, target, op["value"], insert=False)
    elif kind == "remove":
        await _remove_target(session, target)
    elif kind in ("move", "copy"):
        source = await _locate(session, base, op.get("from"))
        await _transfer_item(session, source, target, move=kind == "move")
    elif kind == "test":
        if _as_json(await _read_target(session, target)) != op["value"]:
            raise PatchTestFailed(f"test failed at {target.path}", path=target.path)
    else:
        raise InvalidInput(f"unknown JSON Patch operation {kind[:40]!r}", op=kind[:40])


async def handle_patch(request: web.Request) -> web.StreamResponse:
    """PATCH with an RFC 6902 document: all operations, one atomic save; 200 with the changes."""
    session = session_for(request)
    resource = await resolve(session, request.path)
    if resource.kind != "node" or resource.has_decorations:
        raise NodeNotFound(f"no node at {request.path}", path=request.path)
    await check_if_match(request, session, resource.path)
    limit = request.app[settings_key].max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"the request body is larger than {limit} bytes", limit=limit)
    if request.content_type not in ("application/json-patch+json", "application/json"):
        raise UnsupportedMediaType(
            "PATCH needs an application/json-patch+json document",
            content_type=request.content_type,
        )
    try:
        document = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # Recursion: too deep
        raise InvalidInput(f"the body is not valid JSON: {exc}") from None
    if not isinstance(document, list):
        raise InvalidInput("a JSON Patch document is an array of operations")
    for op in document:
        await apply_patch_operation(session, resource.path, op)
    commit = await session.save()
    node = await session.node(resource.path)
    body = {
        "path": node.path,
        "revision": commit.revision,
        "changes": change_entries(commit.changes),
    }
    return _json_response(render.dumps(body), etag=_etag(node.revision))


def setup_routes(app: web.Application) -> None:
    app[_cache_key] = RenderCache()
    app.router.add_get("/{path:.*}", handle_get, allow_head=True)
    app.router.add_post("/{path:.*}", post.handle_post)
    app.router.add_patch("/{path:.*}", handle_patch)
    app.router.add_delete("/{path:.*}", handle_delete)
