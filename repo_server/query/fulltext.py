"""JCR full-text search expressions: parsed once, run as FTS5 MATCH or checked in Python.

Grammar (JCR 2.0 §6.7.19, as AEM's `fulltext` predicate reads it): terms separated by spaces
must all occur; `OR` between terms binds looser than the spaces; `-term` excludes; `"a b"` is
a phrase; `term*` matches a prefix. FTS5 has the same precedence (NOT > AND > OR), so the
translation keeps the structure and quotes every term so no user text is FTS5 syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from repo_server.query.errors import InvalidFullText

_TOKEN: Final = re.compile(r'(-?)"([^"]*)"|(\S+)')
_WORD: Final = re.compile(r"\w+", re.UNICODE)
MAX_TERMS: Final = 64


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    negated: bool = False
    prefix: bool = False
    phrase: bool = False


@dataclass(frozen=True, slots=True)
class Expression:
    """OR of clauses; each clause is an AND of terms (at least one of them positive)."""

    clauses: tuple[tuple[Term, ...], ...]

    def to_fts5(self) -> str:
        parts = []
        for clause in self.clauses:
            positive = [t for t in clause if not t.negated]
            negative = [t for t in clause if t.negated]
            text = " ".join(_quote(t) for t in positive)
            for t in negative:
                text += " NOT " + _quote(t)
            parts.append(f"({text})")
        return " OR ".join(parts)

    def matches_text(self, text: str) -> bool:
        """An approximation of the FTS5 match on one property's text (case-insensitive)."""
        folded = text.casefold()
        words = set(_WORD.findall(folded))
        return any(all(_term_in(t, folded, words) != t.negated for t in c) for c in self.clauses)


def _quote(term: Term) -> str:
    quoted = '"' + term.text.replace('"', '""') + '"'
    return quoted + " *" if term.prefix else quoted


def _term_in(term: Term, folded: str, words: set[str]) -> bool:
    needle = term.text.casefold()
    if term.phrase:
        return needle in folded
    if term.prefix:
        return any(w.startswith(needle) for w in words)
    tokens = _WORD.findall(needle)
    return all(t in words for t in tokens) if tokens else False


@lru_cache(maxsize=256)
def parse(text: str) -> Expression:
    """Parse a full-text expression; InvalidFullText when it has no positive term to find."""
    clauses: list[list[Term]] = [[]]
    count = 0
    for match in _TOKEN.finditer(text):
        minus, phrase, word = match.groups()
        if word is not None:
            if word == "OR":
                if clauses[-1]:
                    clauses.append([])
                continue
            negated = word.startswith("-") and len(word) > 1
            body = word[1:] if negated else word
            prefix = body.endswith("*") and len(body) > 1
            body = body.rstrip("*") if prefix else body
            if not _WORD.search(body):
                continue  # punctuation alone finds nothing and is no FTS5 token
            clauses[-1].append(Term(body, negated, prefix))
        else:
            if not _WORD.search(phrase):
                continue
            clauses[-1].append(Term(phrase, bool(minus), phrase=True))
        count += 1
        if count > MAX_TERMS:
            raise InvalidFullText(f"a full-text search may have at most {MAX_TERMS} terms")
    found = tuple(tuple(c) for c in clauses if c)
    if not found or any(all(t.negated for t in c) for c in found):
        raise InvalidFullText(
            f"full-text search {text[:100]!r} has no term to look for", fulltext=text[:100]
        )
    return Expression(found)
