"""`GET /bin/querybuilder.json`: AEM's QueryBuilder JSON servlet over the query engine.

Answers `{"success", "results", "total", "more", "offset", "hits"}` as AEM does. Hits are
`simple` by default (path, excerpt, name, title, lastModified), the node's JSON with
`p.hits=full` (`p.nodedepth` levels of children), or the properties named in `p.properties`
with `p.hits=selective`. Bad parameters are 400s with the codes of `repo_server.query.errors`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, Final

from aiohttp import web

from repo_server.http.render import dumps, node_object, node_properties
from repo_server.http.security_http import session_for
from repo_server.model import names as N
from repo_server.model import path as P
from repo_server.model.node import Node
from repo_server.query import engine
from repo_server.query.querybuilder import HitOptions, parse
from repo_server.session.session import ContentSession, NodeTree

# The engine's limits for HTTP queries; set it on the app before startup to change them.
query_options_key: Final = web.AppKey("query_options_key", engine.QueryOptions)
_LAST_MODIFIED: Final = ("cq:lastModified", N.JCR_LAST_MODIFIED)


def _text(node: Node | None, name: str) -> str | None:
    prop = node.properties.get(name) if node is not None else None
    return str(prop.values[0]) if prop is not None and prop.values else None


def _modified(node: Node | None) -> str | None:
    for name in _LAST_MODIFIED:
        prop = node.properties.get(name) if node is not None else None
        if prop is not None and prop.values and isinstance(prop.values[0], datetime):
            return prop.values[0].strftime("%Y-%m-%d %H:%M:%S")
    return None


async def _simple_hits(session: ContentSession, result: engine.QueryResult) -> list[dict[str, Any]]:
    contents = await engine.related_nodes(
        session, [P.join(n.path, N.JCR_CONTENT) for n in result.nodes]
    )
    hits = []
    for node in result.nodes:
        content = contents.get(P.join(node.path, N.JCR_CONTENT))
        hits.append(
            {
                "path": node.path,
                "excerpt": result.excerpts.get(node.path, ""),
                "name": node.name,
                "title": _text(content, N.JCR_TITLE) or _text(node, N.JCR_TITLE) or node.name,
                "lastModified": _modified(content) or _modified(node),
            }
        )
    return hits


async def _full_hits(
    session: ContentSession, result: engine.QueryResult, options: HitOptions
) -> list[dict[str, Any]]:
    hits = []
    for node in result.nodes:
        if options.node_depth:
            body = node_object(await session.subtree(node.path, options.node_depth))
        else:
            body = node_object(NodeTree(node, []))
        body["jcr:path"] = node.path
        hits.append(body)
    return hits


def _selective_hits(result: engine.QueryResult, options: HitOptions) -> list[dict[str, Any]]:
    hits = []
    for node in result.nodes:
        props = node_properties(node)
        props["jcr:path"] = node.path
        props["excerpt"] = result.excerpts.get(node.path, "")
        hits.append({name: props[name] for name in options.properties if name in props})
    return hits


async def querybuilder(request: web.Request) -> web.Response:
    query, options = parse(request.query.items())
    session = session_for(request)
    limits = request.app.get(query_options_key, engine.QueryOptions())
    # Excerpts cost one more full-text query: only for the hits that show them.
    wants_excerpts = options.mode == "simple" or (
        options.mode == "selective" and "excerpt" in options.properties
    )
    result = await engine.execute(session, query, replace(limits, excerpts=wants_excerpts))
    if options.mode == "full":
        hits = await _full_hits(session, result, options)
    elif options.mode == "selective":
        hits = _selective_hits(result, options)
    else:
        hits = await _simple_hits(session, result)
    body = {
        "success": True,
        "results": len(hits),
        "total": result.total,
        "more": result.more,
        "offset": result.offset,
        "hits": hits,
    }
    return web.Response(body=dumps(body), content_type="application/json", charset="utf-8")


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/bin/querybuilder.json", querybuilder, allow_head=True)
