"""Qualified names, the fixed namespace registry, and the name constants used everywhere.

The repository keeps one prefix <-> URI mapping (spec §1.1): the qualified string is the stored
and compared form; `{uri}local` is accepted on input and converted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from repo_server.errors import InvalidName

JCR_PRIMARY_TYPE: Final = "jcr:primaryType"
JCR_MIXIN_TYPES: Final = "jcr:mixinTypes"
JCR_UUID: Final = "jcr:uuid"
JCR_CONTENT: Final = "jcr:content"
JCR_DATA: Final = "jcr:data"
JCR_MIMETYPE: Final = "jcr:mimeType"
JCR_ENCODING: Final = "jcr:encoding"
JCR_CREATED: Final = "jcr:created"
JCR_CREATED_BY: Final = "jcr:createdBy"
JCR_LAST_MODIFIED: Final = "jcr:lastModified"
JCR_LAST_MODIFIED_BY: Final = "jcr:lastModifiedBy"
JCR_TITLE: Final = "jcr:title"
JCR_DESCRIPTION: Final = "jcr:description"
JCR_IS_CHECKED_OUT: Final = "jcr:isCheckedOut"
JCR_SYSTEM: Final = "jcr:system"

NT_BASE: Final = "nt:base"
NT_UNSTRUCTURED: Final = "nt:unstructured"
NT_FOLDER: Final = "nt:folder"
NT_FILE: Final = "nt:file"
NT_RESOURCE: Final = "nt:resource"
NT_HIERARCHY_NODE: Final = "nt:hierarchyNode"
MIX_REFERENCEABLE: Final = "mix:referenceable"
MIX_CREATED: Final = "mix:created"
MIX_LAST_MODIFIED: Final = "mix:lastModified"
REP_ROOT: Final = "rep:root"
REP_SYSTEM: Final = "rep:system"
SLING_FOLDER: Final = "sling:Folder"
SLING_ORDERED_FOLDER: Final = "sling:OrderedFolder"
SLING_RESOURCE_TYPE: Final = "sling:resourceType"
CQ_PAGE: Final = "cq:Page"
CQ_PAGE_CONTENT: Final = "cq:PageContent"

BUILTIN_NAMESPACES: Final[Mapping[str, str]] = {
    "": "",
    "jcr": "http://www.jcp.org/jcr/1.0",
    "nt": "http://www.jcp.org/jcr/nt/1.0",
    "mix": "http://www.jcp.org/jcr/mix/1.0",
    "xml": "http://www.w3.org/XML/1998/namespace",
    "rep": "internal",
    "oak": "http://jackrabbit.apache.org/oak/ns/1.0",
    "sling": "http://sling.apache.org/jcr/sling/1.0",
    "cq": "http://www.day.com/jcr/cq/1.0",
}

MAX_NAME_BYTES: Final = 150

# Characters JCR forbids in a local name, the XML-invalid code points (spec §1.3), and every
# control character (C0, DEL, C1): XML allows tab, CR, LF and DEL, but sling-http §1 says
# names carry no control characters, and a name with a line break in it is never intended.
_ILLEGAL = re.compile(r"[/:\[\]|*\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_PREFIX = re.compile(r"^[A-Za-z_][\w.\-]*$")


class NamespaceRegistry:
    """The repository's prefix <-> URI mapping; built-ins are fixed, more may be registered."""

    def __init__(self, extra: Mapping[str, str] | None = None) -> None:
        self._by_prefix: dict[str, str] = dict(BUILTIN_NAMESPACES)
        self._by_uri: dict[str, str] = {uri: p for p, uri in self._by_prefix.items()}
        for prefix, uri in (extra or {}).items():
            self.register(prefix, uri)

    @property
    def prefixes(self) -> Mapping[str, str]:
        return dict(self._by_prefix)

    def has_prefix(self, prefix: str) -> bool:
        return prefix in self._by_prefix

    def uri(self, prefix: str) -> str:
        try:
            return self._by_prefix[prefix]
        except KeyError:
            raise InvalidName(f"unknown namespace prefix {prefix!r}", prefix=prefix) from None

    def register(self, prefix: str, uri: str) -> None:
        """Register `prefix` for `uri`; raises InvalidName for reserved or clashing mappings."""
        if self._by_prefix.get(prefix) == uri:
            return
        if prefix in BUILTIN_NAMESPACES or prefix.lower().startswith("xml"):
            raise InvalidName(f"namespace prefix {prefix!r} is reserved", prefix=prefix)
        if not _PREFIX.match(prefix):
            raise InvalidName(f"invalid namespace prefix {prefix!r}", prefix=prefix)
        if not uri:
            raise InvalidName("a namespace URI must not be empty", prefix=prefix)
        if prefix in self._by_prefix or uri in self._by_uri:
            raise InvalidName(
                f"namespace {prefix!r} = {uri!r} clashes with an existing mapping",
                prefix=prefix,
                uri=uri,
            )
        self._by_prefix[prefix] = uri
        self._by_uri[uri] = prefix

    def qualify(self, name: str) -> str:
        """Turn an expanded `{uri}local` name into its qualified form; other names pass through."""
        if name.startswith("{"):
            end = name.find("}")
            if end < 0:
                raise InvalidName(f"invalid expanded name {name!r}", name=name)
            uri, local = name[1:end], name[end + 1 :]
            prefix = self._by_uri.get(uri)
            if prefix is None:
                raise InvalidName(f"unknown namespace URI {uri!r}", name=name)
            return f"{prefix}:{local}" if prefix else local
        return name


DEFAULT_NAMESPACES: Final = NamespaceRegistry()


def check_local_name(local: str, full: str) -> None:
    """Raise InvalidName unless `local` obeys the local-name rules of spec §1.3."""
    if not local or local in (".", ".."):
        raise InvalidName(f"invalid name {full!r}", name=full)
    if _ILLEGAL.search(local):
        raise InvalidName(f"invalid character in name {full!r}", name=full)
    if local != local.strip():
        raise InvalidName(f"name {full!r} has leading or trailing whitespace", name=full)
    if len(local.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        raise InvalidName(f"name {full[:40]!r}... is longer than {MAX_NAME_BYTES} bytes", name=full)


def validate_name(name: str, namespaces: NamespaceRegistry = DEFAULT_NAMESPACES) -> str:
    """Return the qualified form of `name`, raising InvalidName if it is not a valid JCR name."""
    if not isinstance(name, str):
        raise InvalidName(f"a name must be a string, not {type(name).__name__}")
    name = namespaces.qualify(name)
    prefix, sep, local = name.partition(":")
    if not sep:
        check_local_name(name, name)
        return name
    if not namespaces.has_prefix(prefix) or not prefix:
        raise InvalidName(f"unknown namespace prefix in name {name!r}", name=name)
    check_local_name(local, name)
    return name


def is_valid_name(name: str, namespaces: NamespaceRegistry = DEFAULT_NAMESPACES) -> bool:
    try:
        validate_name(name, namespaces)
    except InvalidName:
        return False
    return True
