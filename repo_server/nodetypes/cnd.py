"""The CND subset of spec §7.13: parse node type definitions, and format them back."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Final, Literal

from repo_server.errors import InvalidName, InvalidNodeTypeDefinition, InvalidPath, InvalidValue
from repo_server.model import path as _path
from repo_server.model.names import NamespaceRegistry, validate_name
from repo_server.model.values import PropertyType, Value, parse_value, to_string
from repo_server.nodetypes.definitions import (
    RESIDUAL,
    ChildNodeDefinition,
    NodeType,
    PropertyDefinition,
)

TokenKind = Literal["word", "string", "punct", "eof"]

# Characters that always stand alone. `-` and `+` only start an item at the beginning of a
# token; inside a word they are ordinary (`rep:token-key`), as `/` is unless it opens a comment.
_PUNCT: Final = frozenset("<>=[](),!*?")
_WORD_STOP: Final = frozenset("<>=[](),!*?'\"")
_OPV: Final = frozenset({"copy", "version", "initialize", "compute", "ignore", "abort"})

_TYPE_ATTRS: Final = {
    "orderable": "orderable",
    "ord": "orderable",
    "o": "orderable",
    "mixin": "mixin",
    "mix": "mixin",
    "m": "mixin",
    "abstract": "abstract",
    "abs": "abstract",
    "a": "abstract",
    "noquery": "noquery",
    "nq": "noquery",
    "query": "query",
    "q": "query",
    "primaryitem": "primaryitem",
    "!": "primaryitem",
}
_ITEM_ATTRS: Final = {
    "mandatory": "mandatory",
    "man": "mandatory",
    "m": "mandatory",
    "autocreated": "autocreated",
    "aut": "autocreated",
    "a": "autocreated",
    "protected": "protected",
    "pro": "protected",
    "p": "protected",
    "primary": "primary",
    "pri": "primary",
    "!": "primary",
}
_PROPERTY_ATTRS: Final = {
    **_ITEM_ATTRS,
    "multiple": "multiple",
    "mul": "multiple",
    "*": "multiple",
    "queryops": "queryops",
    "qop": "queryops",
    "nofulltext": "ignore",
    "nof": "ignore",
    "noqueryorder": "ignore",
    "nqord": "ignore",
}
_CHILD_ATTRS: Final = {
    **_ITEM_ATTRS,
    "sns": "sns",
    "*": "sns",
    "multiple": "sns",  # the JCR 1.0 spelling of sns
    "mul": "sns",
}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: TokenKind
    text: str
    offset: int


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self._line_starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def error(self, offset: int, message: str) -> InvalidNodeTypeDefinition:
        line, column = self.position(offset)
        return InvalidNodeTypeDefinition(
            f"line {line}, column {column}: {message}", line=line, column=column
        )

    def tokens(self) -> list[_Token]:
        text, n, i = self.text, len(self.text), 0
        out: list[_Token] = []
        while i < n:
            ch = text[i]
            if ch.isspace():
                i += 1
            elif text.startswith("//", i):
                end = text.find("\n", i)
                i = n if end < 0 else end
            elif text.startswith("/*", i):
                end = text.find("*/", i + 2)
                if end < 0:
                    raise self.error(i, "unterminated comment")
                i = end + 2
            elif ch in "'\"":
                i = self._string(i, out)
            elif ch in _PUNCT or ch in "-+":
                out.append(_Token("punct", ch, i))
                i += 1
            else:
                start = i
                while i < n:
                    c = text[i]
                    if c.isspace() or c in _WORD_STOP or text.startswith(("//", "/*"), i):
                        break
                    i += 1
                out.append(_Token("word", text[start:i], start))
        out.append(_Token("eof", "", n))
        return out

    def _string(self, start: int, out: list[_Token]) -> int:
        text, quote = self.text, self.text[start]
        chars: list[str] = []
        i = start + 1
        while i < len(text):
            c = text[i]
            if c == quote:
                out.append(_Token("string", "".join(chars), start))
                return i + 1
            # Only quotes and the backslash itself are escapes, so regex constraints such as
            # '\d+' can be written as they are.
            if c == "\\" and i + 1 < len(text) and text[i + 1] in "\\'\"":
                chars.append(text[i + 1])
                i += 2
                continue
            chars.append(c)
            i += 1
        raise self.error(start, "unterminated string")


@dataclass(slots=True)
class _TypeBuilder:
    name: str
    offset: int
    supertypes: list[str] = field(default_factory=list)
    mixin: bool = False
    abstract: bool = False
    orderable: bool = False
    queryable: bool = True
    primary_item: str | None = None
    properties: list[PropertyDefinition] = field(default_factory=list)
    children: list[ChildNodeDefinition] = field(default_factory=list)


class _Parser:
    def __init__(self, text: str, namespaces: NamespaceRegistry) -> None:
        self.lexer = _Lexer(text)
        self.tokens = self.lexer.tokens()
        self.pos = 0
        self.namespaces = namespaces
        self.mappings: dict[str, str] = {}
        self.types: list[NodeType] = []

    # --- token helpers ----------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def next(self) -> _Token:
        tok = self.tokens[self.pos]
        if tok.kind != "eof":
            self.pos += 1
        return tok

    def is_punct(self, text: str, ahead: int = 0) -> bool:
        tok = self.peek(ahead)
        return tok.kind == "punct" and tok.text == text

    def error(self, tok: _Token, message: str) -> InvalidNodeTypeDefinition:
        return self.lexer.error(tok.offset, message)

    def expect(self, text: str) -> _Token:
        tok = self.next()
        if tok.kind != "punct" or tok.text != text:
            raise self.error(tok, f"expected {text!r}, found {_describe(tok)}")
        return tok

    def literal(self, what: str) -> _Token:
        tok = self.next()
        if tok.kind not in ("word", "string"):
            raise self.error(tok, f"expected {what}, found {_describe(tok)}")
        return tok

    def name(self, what: str, *, residual: bool = False) -> str:
        tok = self.peek()
        if residual and tok.kind == "punct" and tok.text == "*":
            self.next()
            return RESIDUAL
        tok = self.literal(what)
        try:
            return validate_name(tok.text, self.namespaces)
        except InvalidName as exc:
            raise self.error(tok, f"invalid {what} {tok.text!r}: {exc.message}") from None

    def names(self, what: str) -> list[tuple[_Token, str]]:
        out = [(self.peek(), self.name(what))]
        while self.is_punct(","):
            self.next()
            out.append((self.peek(), self.name(what)))
        return out

    def strings(self, what: str) -> list[_Token]:
        out = [self.literal(what)]
        while self.is_punct(","):
            self.next()
            out.append(self.literal(what))
        return out

    def at_namespace(self) -> bool:
        # `<` opens a namespace mapping only when followed by `prefix =`; otherwise it starts
        # the value constraints of the preceding property definition.
        return (
            self.is_punct("<") and self.peek(1).kind in ("word", "string") and self.is_punct("=", 2)
        )

    # --- grammar ----------------------------------------------------------------------------
    def parse(self) -> tuple[dict[str, str], list[NodeType]]:
        seen: set[str] = set()
        while True:
            tok = self.peek()
            if tok.kind == "eof":
                return self.mappings, self.types
            if self.is_punct("<"):
                self.namespace()
            elif self.is_punct("["):
                node_type = self.node_type()
                if node_type.name in seen:
                    raise self.error(tok, f"node type {node_type.name!r} is defined twice")
                seen.add(node_type.name)
                self.types.append(node_type)
            else:
                raise self.error(tok, f"expected '<' or '[', found {_describe(tok)}")

    def namespace(self) -> None:
        self.expect("<")
        prefix = self.literal("namespace prefix")
        self.expect("=")
        uri = self.literal("namespace URI")
        self.expect(">")
        try:
            self.namespaces.register(prefix.text, uri.text)
        except InvalidName as exc:
            raise self.error(prefix, exc.message) from None
        self.mappings[prefix.text] = uri.text

    def node_type(self) -> NodeType:
        self.expect("[")
        start = self.peek()
        builder = _TypeBuilder(self.name("node type name"), start.offset)
        self.expect("]")
        if self.is_punct(">"):
            self.next()
            for super_tok, name in self.names("supertype"):
                if name in builder.supertypes:
                    raise self.error(super_tok, f"supertype {name!r} is listed twice")
                builder.supertypes.append(name)
        self.type_attributes(builder)
        while self.is_punct("-") or self.is_punct("+"):
            if self.next().text == "-":
                self.property_definition(builder)
            else:
                self.child_definition(builder)
        return NodeType(
            name=builder.name,
            supertypes=tuple(builder.supertypes),
            mixin=builder.mixin,
            abstract=builder.abstract,
            orderable=builder.orderable,
            queryable=builder.queryable,
            primary_item=builder.primary_item,
            properties=tuple(builder.properties),
            children=tuple(builder.children),
        )

    def type_attributes(self, builder: _TypeBuilder) -> None:
        while True:
            tok = self.peek()
            if tok.kind == "eof" or (tok.kind == "punct" and tok.text in ("-", "+", "[", "<")):
                return
            attr = _TYPE_ATTRS.get(tok.text.lower()) if tok.kind != "string" else None
            if attr is None:
                raise self.error(tok, f"unknown node type attribute {_describe(tok)}")
            self.next()
            if attr == "orderable":
                builder.orderable = True
            elif attr == "mixin":
                builder.mixin = True
            elif attr == "abstract":
                builder.abstract = True
            elif attr == "noquery":
                builder.queryable = False
            elif attr == "query":
                builder.queryable = True
            else:
                name_tok = self.peek()
                self.set_primary_item(builder, self.name("primary item name"), name_tok)

    def set_primary_item(self, builder: _TypeBuilder, name: str, tok: _Token) -> None:
        if name == RESIDUAL:
            raise self.error(tok, "a residual definition cannot be the primary item")
        if builder.primary_item is not None and builder.primary_item != name:
            raise self.error(tok, f"node type {builder.name!r} has two primary items")
        builder.primary_item = name

    def property_definition(self, builder: _TypeBuilder) -> None:
        name_tok = self.peek()
        name = self.name("property name", residual=True)
        type_ = PropertyType.STRING
        flags: set[str] = set()
        opv = "COPY"
        defaults: list[_Token] | None = None
        constraints: list[_Token] | None = None
        while True:
            tok = self.peek()
            if tok.kind == "eof" or (tok.kind == "punct" and tok.text in ("-", "+", "[")):
                break
            if self.is_punct("("):
                self.next()
                type_tok = self.next()
                try:
                    type_ = PropertyType.from_name(type_tok.text)
                except InvalidValue:
                    raise self.error(
                        type_tok, f"unknown property type {_describe(type_tok)}"
                    ) from None
                self.expect(")")
            elif self.is_punct("="):
                self.next()
                defaults = self.strings("default value")
            elif self.is_punct("<"):
                if self.at_namespace():
                    break
                self.next()
                constraints = self.strings("value constraint")
            else:
                opv = self.item_attribute(tok, _PROPERTY_ATTRS, flags, opv, builder, name)
        multiple = "multiple" in flags
        values: list[Value] = []
        for tok in defaults or []:
            values.append(self.default_value(tok, type_))
        if len(values) > 1 and not multiple:
            raise self.error(name_tok, f"single-valued property {name!r} has several defaults")
        builder.properties.append(
            PropertyDefinition(
                name=name,
                required_type=type_,
                multiple=multiple,
                mandatory="mandatory" in flags,
                autocreated="autocreated" in flags,
                protected="protected" in flags,
                default_values=tuple(values),
                constraints=tuple(tok.text for tok in constraints or []),
                on_parent_version=opv,
                declaring_type=builder.name,
            )
        )

    def item_attribute(
        self,
        tok: _Token,
        table: dict[str, str],
        flags: set[str],
        opv: str,
        builder: _TypeBuilder,
        item_name: str,
    ) -> str:
        word = tok.text.lower() if tok.kind != "string" else ""
        attr = table.get(word)
        if attr is None and word in _OPV:
            self.next()
            return word.upper()
        if attr is None:
            raise self.error(tok, f"unknown attribute {_describe(tok)} of {item_name!r}")
        self.next()
        if attr == "primary":
            self.set_primary_item(builder, item_name, tok)
        elif attr == "queryops":
            self.literal("query operators")  # parsed and ignored: no query engine in v1
        elif attr != "ignore":
            flags.add(attr)
        return opv

    def default_value(self, tok: _Token, type_: PropertyType) -> Value:
        text = tok.text
        try:
            if type_ is PropertyType.UNDEFINED:
                return text
            if type_ is PropertyType.NAME:
                return validate_name(text, self.namespaces)
            if type_ is PropertyType.PATH:
                if text.startswith("/"):
                    return _path.normalize(text, namespaces=self.namespaces)
                return _path.normalize_relative(text, self.namespaces)
            if type_ is PropertyType.BOOLEAN and text.strip().lower() not in ("true", "false"):
                raise InvalidValue(f"{text!r} is not a Boolean")
            return parse_value(text, type_)
        except (InvalidValue, InvalidName, InvalidPath) as exc:
            raise self.error(tok, f"invalid default value: {exc.message}") from None

    def child_definition(self, builder: _TypeBuilder) -> None:
        name = self.name("child node name", residual=True)
        required: list[str] | None = None
        default: str | None = None
        flags: set[str] = set()
        opv = "COPY"
        while True:
            tok = self.peek()
            if tok.kind == "eof" or (tok.kind == "punct" and tok.text in ("-", "+", "[", "<")):
                break
            if self.is_punct("("):
                self.next()
                required = [name for _, name in self.names("required primary type")]
                self.expect(")")
            elif self.is_punct("="):
                self.next()
                default = self.name("default primary type")
            else:
                opv = self.item_attribute(tok, _CHILD_ATTRS, flags, opv, builder, name)
        builder.children.append(
            ChildNodeDefinition(
                name=name,
                required_types=tuple(required) if required else ("nt:base",),
                default_type=default,
                mandatory="mandatory" in flags,
                autocreated="autocreated" in flags,
                protected="protected" in flags,
                sns="sns" in flags,
                on_parent_version=opv,
                declaring_type=builder.name,
            )
        )


def _describe(tok: _Token) -> str:
    if tok.kind == "eof":
        return "end of input"
    if tok.kind == "string":
        return f"string {tok.text!r}"
    return repr(tok.text)


def parse_cnd(text: str, namespaces: NamespaceRegistry) -> tuple[dict[str, str], list[NodeType]]:
    """Namespace mappings declared in the text and its node types, in order.

    The mappings are registered into `namespaces` as they are read, so later names can use
    them. Raises InvalidNodeTypeDefinition naming the line and column of the first error.
    The types are not checked against each other or a registry: `NodeTypeRegistry.register`
    does that.
    """
    return _Parser(text, namespaces).parse()


# --- formatting -------------------------------------------------------------------------------

_BARE: Final = re.compile(r"\w[\w:.\-]*")


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _name(name: str) -> str:
    return name if name == RESIDUAL or _BARE.fullmatch(name) else _quote(name)


def format_cnd(node_type: NodeType) -> str:
    """The CND text of one node type; `parse_cnd` reads it back to an equal NodeType."""
    head = f"[{_name(node_type.name)}]"
    if node_type.supertypes:
        head += " > " + ", ".join(_name(s) for s in node_type.supertypes)
    lines = [head]
    attrs = [
        word
        for word, on in (
            ("orderable", node_type.orderable),
            ("mixin", node_type.mixin),
            ("abstract", node_type.abstract),
            ("noquery", not node_type.queryable),
        )
        if on
    ]
    if node_type.primary_item is not None:
        attrs.append(f"primaryitem {_name(node_type.primary_item)}")
    if attrs:
        lines.append("  " + " ".join(attrs))
    for prop in node_type.properties:
        line = f"  - {_name(prop.name)} ({prop.required_type.name})"
        if prop.default_values:
            line += " = " + ", ".join(
                _quote(to_string(v, prop.required_type)) for v in prop.default_values
            )
        line += _flags(
            mandatory=prop.mandatory,
            autocreated=prop.autocreated,
            protected=prop.protected,
            multiple=prop.multiple,
        )
        if prop.on_parent_version != "COPY":
            line += f" {prop.on_parent_version}"
        if prop.constraints:
            line += " < " + ", ".join(_quote(c) for c in prop.constraints)
        lines.append(line)
    for child in node_type.children:
        line = f"  + {_name(child.name)} ({', '.join(_name(t) for t in child.required_types)})"
        if child.default_type is not None:
            line += f" = {_name(child.default_type)}"
        line += _flags(
            mandatory=child.mandatory,
            autocreated=child.autocreated,
            protected=child.protected,
            sns=child.sns,
        )
        if child.on_parent_version != "COPY":
            line += f" {child.on_parent_version}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _flags(**flags: bool) -> str:
    return "".join(f" {word}" for word, on in flags.items() if on)
