"""Resource paths under ``/odata2webservices/{IO}/``, parsed as spec §1 (keys may hold '/')."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from commerce.engine.errors import InvalidKey, NotFound


class ResourceKind(enum.Enum):
    SERVICE = "service"
    METADATA = "metadata"
    BATCH = "batch"
    COLLECTION = "collection"
    ENTITY = "entity"


@dataclass(frozen=True, slots=True)
class Resource:
    kind: ResourceKind
    entity_set: str = ""
    key: str | None = None
    navigation: str | None = None
    count: bool = False


def split_io(path: str) -> tuple[str, str]:
    """``IO/rest`` -> (IO, rest); the path was percent-decoded exactly once by the caller."""
    io, _, rest = path.partition("/")
    if not io:
        raise NotFound("No integration object named in the URL.")
    return io, rest


def parse_resource(rest: str) -> Resource:
    """Parse what follows the IO code; raises NotFound for unknown shapes, InvalidKey for keys."""
    if rest in ("", "/"):
        return Resource(ResourceKind.SERVICE)
    if rest == "$metadata":
        return Resource(ResourceKind.METADATA)
    if rest == "$batch":
        return Resource(ResourceKind.BATCH)
    cut = min((i for i in (rest.find("("), rest.find("/")) if i >= 0), default=len(rest))
    entity_set, tail = rest[:cut], rest[cut:]
    if not entity_set or entity_set.startswith("$"):
        raise NotFound(f"Could not find an entity set or function import for '{entity_set}'.")
    if tail in ("", "/"):
        return Resource(ResourceKind.COLLECTION, entity_set)
    if tail == "/$count":
        return Resource(ResourceKind.COLLECTION, entity_set, count=True)
    if not tail.startswith("("):
        raise NotFound(f"Resource [{rest}] does not exist.")
    key, tail = _key(tail)
    if tail in ("", "/"):
        return Resource(ResourceKind.ENTITY, entity_set, key)
    segments = tail.lstrip("/").split("/")
    if not tail.startswith("/") or len(segments) > 2 or not segments[0]:
        raise NotFound(f"Resource [{rest}] does not exist.")
    if len(segments) == 2 and segments[1] != "$count":
        raise NotFound(f"Resource [{rest}] does not exist (one navigation step only).")
    return Resource(
        ResourceKind.ENTITY, entity_set, key, navigation=segments[0], count=len(segments) == 2
    )


def _key(tail: str) -> tuple[str, str]:
    """Parse ``('k''ey')`` or ``(integrationKey='...')``; returns the key and what follows ``)``."""
    body = tail[1:]
    if body.startswith("integrationKey="):
        body = body[len("integrationKey=") :]
    if not body.startswith("'"):
        raise InvalidKey("The key must be a quoted string: Set('key').")
    chars: list[str] = []
    i = 1
    while i < len(body):
        ch = body[i]
        if ch == "'":
            if body[i + 1 : i + 2] == "'":
                chars.append("'")
                i += 2
                continue
            if body[i + 1 : i + 2] != ")":
                raise InvalidKey("The key must end with ').")
            return "".join(chars), body[i + 2 :]
        chars.append(ch)
        i += 1
    raise InvalidKey("The key is not terminated by ').")
