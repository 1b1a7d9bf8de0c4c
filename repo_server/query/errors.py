"""Errors of query parsing and execution: leaves of `repo_server.errors.InvalidInput` (400)."""

from __future__ import annotations

from repo_server.errors import InvalidInput


class InvalidQuery(InvalidInput):
    """A query that cannot be run as given."""

    code = "invalid-query"


class UnknownPredicate(InvalidQuery):
    """A QueryBuilder parameter naming no known predicate or option."""

    code = "unknown-predicate"


class InvalidPredicate(InvalidQuery):
    """A known predicate with a missing, unknown or malformed parameter."""

    code = "invalid-predicate"


class InvalidRange(InvalidPredicate):
    code = "invalid-range"


class InvalidDate(InvalidPredicate):
    code = "invalid-date"


class InvalidFullText(InvalidPredicate):
    code = "invalid-fulltext"


class InvalidLimit(InvalidQuery):
    """`p.limit` / `p.offset` / `p.guessTotal` that are not integers in range."""

    code = "invalid-limit"


class InvalidOrderBy(InvalidQuery):
    code = "invalid-orderby"
