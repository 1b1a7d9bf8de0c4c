"""Node -> JSON (Sling's default GET servlet, sling-http §2.2), text and the HTML tree browser."""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final
from urllib.parse import quote

from repo_server.errors import InvalidSelector
from repo_server.model import names as N
from repo_server.model import path as P
from repo_server.model.node import Node
from repo_server.model.values import (
    Binary,
    Property,
    PropertyType,
    format_ecma_date,
    to_string,
)
from repo_server.session.session import NodeTree

INFINITY: Final = None
_MAX_DEPTH: Final = 2**31 - 1
_FLAGS: Final = frozenset({"tidy", "harray"})


@dataclass(frozen=True, slots=True)
class JsonOptions:
    """What the selectors of a `.json` request ask for; `depth` None = infinity."""

    depth: int | None
    tidy: bool
    harray: bool


def parse_json_selectors(selectors: tuple[str, ...]) -> JsonOptions:
    """The depth is the last selector unless that is `tidy`/`harray` (sling-http §2.2)."""
    tidy = "tidy" in selectors
    harray = "harray" in selectors
    if not selectors or selectors[-1] in _FLAGS:
        return JsonOptions(0, tidy, harray)
    last = selectors[-1]
    if last in ("infinity", "-1"):
        return JsonOptions(INFINITY, tidy, harray)
    if last.isascii() and last.isdigit() and (last == "0" or not last.startswith("0")):
        number = int(last)
        return JsonOptions(None if number > _MAX_DEPTH else number, tidy, harray)
    raise InvalidSelector(
        f"invalid recursion selector {last[:40]!r}: expected a depth, 'infinity' or -1",
        selector=last[:40],
    )


def _scalar(value: Any, type_: PropertyType) -> Any:
    if type_ is PropertyType.LONG or type_ is PropertyType.BOOLEAN:
        return value
    if type_ is PropertyType.DOUBLE:
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, datetime):
        return format_ecma_date(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return value if isinstance(value, str) else to_string(value, type_)


def put_property(out: dict[str, Any], name: str, prop: Property) -> None:
    """Add one property to a rendered object (binaries as `:name` with their lengths)."""
    t = prop.type
    if t is PropertyType.BINARY:
        lengths = [v.length if isinstance(v, Binary) else 0 for v in prop.values]
        out[":" + name] = lengths if prop.multiple else lengths[0]
    elif prop.multiple:
        out[name] = [_scalar(v, t) for v in prop.values]
    elif t is PropertyType.STRING:
        out[name] = prop.values[0]
    else:
        out[name] = _scalar(prop.values[0], t)


def node_properties(node: Node) -> dict[str, Any]:
    out: dict[str, Any] = {N.JCR_PRIMARY_TYPE: node.primary_type}
    if node.mixins:
        out[N.JCR_MIXIN_TYPES] = list(node.mixins)
    for name, prop in node.properties.items():
        put_property(out, name, prop)
    return out


def node_object(tree: NodeTree, harray: bool = False) -> dict[str, Any]:
    """A node with its (already depth-limited) children as Sling's JSON object."""
    out = node_properties(tree.node)
    if not tree.children:
        return out
    if harray:
        items = []
        for child in tree.children:
            item: dict[str, Any] = {"__name__": child.node.name}
            item.update(node_object(child, True))
            items.append(item)
        out["__children__"] = items
    else:
        for child in tree.children:
            out[child.node.name] = node_object(child)
    return out


def dumps(value: Any, tidy: bool = False) -> bytes:
    if tidy:
        return json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8")
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def value_text(value: Any, type_: PropertyType) -> str:
    """A value as text (property resources render every type as a string)."""
    if isinstance(value, Binary):
        return str(value.length)
    return to_string(value, type_)


def property_json(name: str, prop: Property) -> dict[str, Any]:
    texts = [value_text(v, prop.type) for v in prop.values]
    return {name: texts if prop.multiple else texts[0]}


def property_txt(prop: Property) -> str:
    texts = [value_text(v, prop.type) for v in prop.values]
    return "[" + ", ".join(texts) + "]" if prop.multiple else texts[0]


def type_property(node: Node, name: str) -> Property | None:
    """The property `name` of `node`, the two type properties included."""
    if name == N.JCR_PRIMARY_TYPE:
        return Property(PropertyType.NAME, False, (node.primary_type,))
    if name == N.JCR_MIXIN_TYPES:
        return Property(PropertyType.NAME, True, node.mixins) if node.mixins else None
    return node.properties.get(name)


def _all_properties(node: Node) -> list[tuple[str, Property]]:
    out = [(N.JCR_PRIMARY_TYPE, Property(PropertyType.NAME, False, (node.primary_type,)))]
    if node.mixins:
        out.append((N.JCR_MIXIN_TYPES, Property(PropertyType.NAME, True, node.mixins)))
    out.extend(node.properties.items())
    return out


def node_txt(node: Node) -> str:
    """`name: value` lines, multi-valued as `[a, b]` (sling-http §2.1)."""
    lines = [f"{name}: {property_txt(prop)}" for name, prop in _all_properties(node)]
    return "\n".join(lines) + "\n"


def node_xml(node: Node, children: list[Node]) -> str:
    q = html.escape
    parts = ['<?xml version="1.0" encoding="UTF-8"?>']
    parts.append(f'<node name="{q(node.name)}" path="{q(node.path)}">')
    for name, prop in _all_properties(node):
        text = q(property_txt(prop))
        parts.append(f'  <property name="{q(name)}" type="{prop.type.jcr_name}">{text}</property>')
    for child in children:
        parts.append(f'  <node name="{q(child.name)}" path="{q(child.path)}"/>')
    parts.append("</node>\n")
    return "\n".join(parts)


_PAGE_STYLE: Final = (
    "body{font-family:system-ui,sans-serif;margin:1.5em;max-width:70em}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;"
    "text-align:left;vertical-align:top}nav a{margin-right:.2em}"
)


def href(path: str, extension: str = ".html") -> str:
    """The URL path of a rendering of `path` (`/.html` for the root)."""
    return quote(path, safe="/:@!$&'()+,;=-_~") + extension


def node_html(node: Node, children: list[Node]) -> str:
    """A readable page for a person clicking through the tree: path, properties, children."""
    q = html.escape
    crumbs = ['<a href="' + q(href(P.ROOT)) + '">/</a>']
    for ancestor in reversed([node.path, *P.ancestors(node.path)][:-1]):
        crumbs.append(f'<a href="{q(href(ancestor))}">{q(P.name(ancestor))}</a>')
    rows = "".join(
        f"<tr><th>{q(name)}</th><td>{prop.type.jcr_name}{'[]' if prop.multiple else ''}</td>"
        f"<td>{q(property_txt(prop))}</td></tr>"
        for name, prop in _all_properties(node)
    )
    kids = "".join(
        f'<li><a href="{q(href(child.path))}">{q(child.name)}</a> '
        f"<small>{q(child.primary_type)}</small></li>"
        for child in children
    )
    title = q(node.path)
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{_PAGE_STYLE}</style></head><body>"
        f"<nav>{' / '.join(crumbs)}</nav><h1>{title}</h1>"
        f'<p><a href="{q(href(node.path, ".json"))}">JSON</a> · '
        f'<a href="{q(href(node.path, ".tidy.1.json"))}">tidy JSON, one level</a></p>'
        f"<h2>Properties</h2><table><tr><th>name</th><th>type</th><th>value</th></tr>{rows}"
        f"</table><h2>Children</h2><ul>{kids or '<li><em>none</em></li>'}</ul>"
        "</body></html>"
    )


def star_html(path: str) -> str:
    q = html.escape
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{q(path)}</title></head>'
        f"<body><h1>{q(path)}</h1><p>A synthetic resource: nothing is stored here.</p>"
        "</body></html>"
    )
