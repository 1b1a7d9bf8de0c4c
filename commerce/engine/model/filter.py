"""``$filter`` grammar of spec §4: comparisons, and/or/not, parentheses, OData v2 literals."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final, TypeAlias

from commerce.engine.errors import FilterNotSupported, OperatorNotSupported
from commerce.engine.model.values import parse_datetime_text

COMPARISONS: Final = frozenset({"eq", "ne", "gt", "lt", "ge", "le"})
_ARITHMETIC: Final = frozenset({"add", "sub", "mul", "div", "mod", "has"})
_MAX_LENGTH: Final = 8192
_MAX_DEPTH: Final = 32

_TOKEN_RE: Final = re.compile(
    r"""\s*(?:
      (?P<string>'(?:[^']|'')*')
    | (?P<typed>(?:datetime|DateTime|datetimeoffset|DateTimeOffset|guid|time|X|binary)
        '(?:[^']|'')*')
    | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[MmDdFfLl]?)
    | (?P<name>[A-Za-z_$][\w.]*(?:/[A-Za-z_$][\w.]*)*)
    | (?P<punct>[(),])
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class DateTimeLiteral:
    millis: int


LiteralValue: TypeAlias = "str | int | float | Decimal | bool | DateTimeLiteral | None"


@dataclass(frozen=True, slots=True)
class Property:
    path: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Literal:
    value: LiteralValue


Operand: TypeAlias = "Property | Literal"


@dataclass(frozen=True, slots=True)
class Comparison:
    op: str
    left: Operand
    right: Operand


@dataclass(frozen=True, slots=True)
class Logical:
    op: str
    left: Expression
    right: Expression


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expression


Expression: TypeAlias = "Comparison | Logical | Not"


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str


def _tokens(text: str) -> list[_Token]:
    if len(text) > _MAX_LENGTH:
        raise FilterNotSupported(f"$filter is longer than {_MAX_LENGTH} characters.")
    tokens: list[_Token] = []
    pos = 0
    stripped = text.rstrip()
    while pos < len(stripped):
        match = _TOKEN_RE.match(stripped, pos)
        if match is None or match.lastgroup is None:
            raise FilterNotSupported(f"Malformed $filter near [{stripped[pos : pos + 20]}].")
        tokens.append(_Token(match.lastgroup, match.group(match.lastgroup)))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0
        self.depth = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise FilterNotSupported("Malformed $filter: unexpected end.")
        self.pos += 1
        return token

    def is_word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "name" and token.text in words

    def parse(self) -> Expression:
        if not self.tokens:
            raise FilterNotSupported("$filter is empty.")
        expression = self.or_expr()
        token = self.peek()
        if token is not None:
            if token.kind == "name" and token.text in _ARITHMETIC:
                raise OperatorNotSupported(f"Operator [{token.text}] is not supported.")
            raise FilterNotSupported(f"Malformed $filter near [{token.text}].")
        return expression

    def or_expr(self) -> Expression:
        left = self.and_expr()
        while self.is_word("or"):
            self.take()
            left = Logical("or", left, self.and_expr())
        return left

    def and_expr(self) -> Expression:
        left = self.not_expr()
        while self.is_word("and"):
            self.take()
            left = Logical("and", left, self.not_expr())
        return left

    def not_expr(self) -> Expression:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise FilterNotSupported("$filter nests too deeply.")
        try:
            if self.is_word("not"):
                self.take()
                return Not(self.not_expr())
            token = self.peek()
            if token is not None and token.kind == "punct" and token.text == "(":
                self.take()
                inner = self.or_expr()
                closing = self.take()
                if closing.text != ")":
                    raise FilterNotSupported(
                        f"Malformed $filter: expected ')' at [{closing.text}]."
                    )
                return inner
            return self.comparison()
        finally:
            self.depth -= 1

    def comparison(self) -> Comparison:
        left = self.operand()
        token = self.take()
        if token.kind != "name" or token.text not in COMPARISONS:
            if token.kind == "name" and (token.text in _ARITHMETIC or token.text.isalpha()):
                raise OperatorNotSupported(f"Operator [{token.text}] is not supported.")
            raise FilterNotSupported(f"Malformed $filter near [{token.text}].")
        right = self.operand()
        return Comparison(token.text, left, right)

    def operand(self) -> Operand:
        token = self.take()
        if token.kind == "string":
            return Literal(token.text[1:-1].replace("''", "'"))
        if token.kind == "number":
            return Literal(_number(token.text))
        if token.kind == "typed":
            prefix, _, rest = token.text.partition("'")
            if prefix.lower() not in ("datetime", "datetimeoffset"):
                raise FilterNotSupported(f"Literals of type [{prefix}] are not supported.")
            try:
                return Literal(DateTimeLiteral(parse_datetime_text(rest[:-1])))
            except ValueError:
                raise FilterNotSupported(f"Malformed date literal [{token.text}].") from None
        if token.kind == "name":
            if token.text in ("true", "false"):
                return Literal(token.text == "true")
            if token.text == "null":
                return Literal(None)
            following = self.peek()
            if following is not None and following.text == "(":
                raise FilterNotSupported(f"Function [{token.text}] is not supported in $filter.")
            return Property(tuple(token.text.split("/")))
        raise FilterNotSupported(f"Malformed $filter near [{token.text}].")


def _number(text: str) -> int | float | Decimal:
    suffix = text[-1].lower() if text[-1].isalpha() else ""
    body = text[:-1] if suffix else text
    try:
        if suffix == "m":
            return Decimal(body)
        if suffix in ("d", "f") or "." in body or "e" in body.lower():
            return float(body)
        return int(body)
    except (ValueError, InvalidOperation):
        raise FilterNotSupported(f"Malformed number [{text}] in $filter.") from None


def parse_filter(text: str) -> Expression:
    """Parse a ``$filter`` value; raises FilterNotSupported or OperatorNotSupported."""
    return _Parser(text).parse()
