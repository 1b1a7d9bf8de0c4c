"""Authentication, the referrer filter, login/logout, the user manager and ACL endpoints.

`auth_middleware` runs inside the error middleware for every request: it refuses browser
writes from foreign origins (Sling's referrer filter), authenticates (HTTP Basic, else the
`login-token` cookie, else anonymous), answers 401 to anonymous requests on an author
instance, and leaves `request["user_id"]` and `request["access"]` (the user's AclPolicy) for
the handlers (also under `user_id_key` / `access_key`); `session_for(request)` opens a
ContentSession with them.
"""

from __future__ import annotations

import base64
import binascii
import html
from collections.abc import Iterable, Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from aiohttp import web
from multidict import MultiDict, MultiDictProxy

from repo_server.config import Settings
from repo_server.errors import ProtectedItem, Unauthorized
from repo_server.http.keys import extensions_key, repository_key, settings_key
from repo_server.http.middleware import Handler, error_response
from repo_server.model import names as N
from repo_server.model import path as P
from repo_server.model.changes import Change
from repo_server.model.values import Property, PropertyType
from repo_server.security import access, users
from repo_server.security.acl import ANONYMOUS, AclPolicy, effective_entries
from repo_server.security.errors import (
    AdminRequired,
    AuthorizableNotFound,
    InvalidLoginToken,
    MalformedCredentials,
    MissingField,
    OriginNotAllowed,
    PasswordMismatch,
)
from repo_server.security.manager import SecurityManager, security_of
from repo_server.security.tokens import COOKIE_NAME
from repo_server.session.session import ContentSession

UNSAFE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOGIN_PAGES: Final = ("/system/sling/form/login", "/libs/granite/core/content/login.html")
# Reachable without logging in on an author instance.
PUBLIC_PATHS: Final = frozenset(
    {"/system/health", "/j_security_check", "/system/sling/logout", *LOGIN_PAGES}
)
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
# Form fields of the user manager that are never node properties.
_RESERVED_FIELDS: Final = frozenset(
    {"pwd", "pwdConfirm", "oldPwd", "newPwd", "newPwdConfirm", "_charset_", "marker"}
)
_OPERATIONS: Final = ("update", "delete", "changePassword")

Form = MultiDictProxy[Any]

user_id_key: Final = web.RequestKey("user_id_key", str)
access_key: Final = web.RequestKey("access_key", AclPolicy)


# --- referrer filter ---------------------------------------------------------------------------
def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of an absolute URL (default port dropped), or None."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def own_origin(request: web.Request) -> str | None:
    return origin_of(f"{request.scheme}://{request.host}")


def is_allowed_origin(origin: str, request: web.Request, settings: Settings) -> bool:
    if origin == own_origin(request):
        return True
    host = urlsplit(origin).hostname or ""
    for allowed in settings.allowed_origins:
        if "://" in allowed:
            if origin_of(allowed) == origin:
                return True
        elif allowed.lower() == host:
            return True
    return False


def check_origin(request: web.Request, settings: Settings) -> None:
    """Sling's referrer filter: OriginNotAllowed for a write from a foreign page."""
    if request.method not in UNSAFE_METHODS:
        return
    source = request.headers.get("Origin")
    if source is None:
        source = request.headers.get("Referer")
    if not source:
        if settings.allow_empty_referrer:
            return
        raise OriginNotAllowed("writes need an Origin or Referer header on this instance")
    origin = origin_of(source)
    if origin is None or not is_allowed_origin(origin, request, settings):
        raise OriginNotAllowed(f"writes from {source!r} are not allowed", origin=source)


# --- authentication ----------------------------------------------------------------------------
def parse_basic(header: str) -> tuple[str, str] | None:
    """(user, password) of an `Authorization: Basic` header; None for another scheme."""
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise MalformedCredentials("the Basic credentials are not valid base64 UTF-8") from None
    user, sep, password = decoded.partition(":")
    if not sep or not user:
        raise MalformedCredentials("the Basic credentials are not user:password")
    return user, password


async def authenticate(request: web.Request, manager: SecurityManager) -> str | None:
    """The user id of the request's credentials, or None (anonymous)."""
    header = request.headers.get("Authorization")
    if header:
        credentials = parse_basic(header)
        if credentials is not None:
            return await manager.authenticate(*credentials)
    token = request.cookies.get(COOKIE_NAME)
    if token:
        try:
            return await manager.authenticate_token(token)
        except InvalidLoginToken:
            if request.path in PUBLIC_PATHS:
                return None
            raise
    return None


def clear_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE_NAME, path="/")


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    settings = request.app[settings_key]
    check_origin(request, settings)
    manager = security_of(request.app[repository_key])
    try:
        user_id = await authenticate(request, manager)
    except InvalidLoginToken as exc:
        response = error_response(exc)
        clear_cookie(response)
        return response
    if user_id is None:
        if settings.role == "author" and request.path not in PUBLIC_PATHS:
            raise Unauthorized("authentication required")
        user_id = ANONYMOUS
    policy = await manager.policy_for(user_id)
    request[user_id_key] = user_id
    request[access_key] = policy
    return await handler(request)


def policy_of(request: web.Request) -> AclPolicy:
    if access_key not in request:
        raise Unauthorized("the request is not authenticated")
    return request[access_key]


def session_for(request: web.Request) -> ContentSession:
    """A new session for the request's user with the user's access policy."""
    policy = policy_of(request)
    return request.app[repository_key].session(policy.user_id, policy)


def manager_of(request: web.Request) -> SecurityManager:
    return security_of(request.app[repository_key])


def require_admin(request: web.Request) -> AclPolicy:
    policy = policy_of(request)
    if not policy.is_admin:
        raise AdminRequired("only administrators may do this", user=policy.user_id)
    return policy


def system_session(request: web.Request) -> ContentSession:
    """A session that bypasses ACLs, journaled as the request's user: for handlers that have
    checked the user's rights themselves."""
    return request.app[repository_key].session(policy_of(request).user_id)


# --- responses ---------------------------------------------------------------------------------
def changes_json(changes: Iterable[Change]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for change in changes:
        if change.kind in ("moved", "copied"):
            out.append({"type": change.kind, "argument": [change.path, change.argument]})
        else:
            out.append({"type": change.kind, "argument": change.path})
    return out


def post_response(
    request: web.Request,
    path: str,
    location: str,
    changes: list[Change],
    title: str,
    ext: str = "json",
) -> web.Response:
    """Sling's JSON (or HTML) post response for the user manager and ACL operations."""
    change_list = changes_json(changes)
    body = {
        "status.code": 200,
        "status.message": "OK",
        "title": title,
        "path": path,
        "location": location,
        "parentLocation": location.rsplit("/", 1)[0] or "/",
        "referer": request.headers.get("Referer", ""),
        "changes": change_list,
    }
    if ext == "html":
        esc = html.escape
        rows = "".join(f"<li>{esc(c['type'])} {esc(str(c['argument']))}</li>" for c in change_list)
        page = (
            f"<html><head><title>{esc(title)}</title></head><body><h1>{esc(title)}</h1>"
            f'<div id="Status">200</div><div id="Message">OK</div>'
            f'<a href="{esc(location)}" id="Location">{esc(location)}</a>'
            f'<div id="Path">{esc(path)}</div><ul id="ChangeLog">{rows}</ul></body></html>'
        )
        return web.Response(text=page, content_type="text/html")
    return web.json_response(body)


def same_site_target(request: web.Request, target: str | None) -> str | None:
    """`target` if it is a redirect to this site (path or same-origin URL), else None."""
    if not target or any(ord(ch) < 0x20 for ch in target) or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return target if origin_of(target) == own_origin(request) else None
    if not target.startswith("/") or target.startswith("//"):
        return None
    return target


# --- login and logout --------------------------------------------------------------------------
def field(form: Mapping[str, Any], name: str, *, required: bool = True) -> str:
    value = form.get(name)
    if not isinstance(value, str) or (required and not value):
        if required:
            raise MissingField(f"the field {name!r} is required", field=name)
        return ""
    return value


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    user = field(form, "j_username")
    password = field(form, "j_password")
    manager = manager_of(request)
    user_id = await manager.authenticate(user, password)
    token = await manager.issue_token(user_id)
    target = same_site_target(request, field(form, "resource", required=False))
    response: web.StreamResponse
    if target is not None:
        response = web.Response(status=302, headers={"Location": target})
    else:
        response = web.json_response({"status": 200, "user": user_id})
    response.set_cookie(
        COOKIE_NAME,
        token,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=request.secure,
        max_age=manager.tokens.lifetime_s,
    )
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    form = await request.post() if request.method == "POST" else request.query
    target = same_site_target(request, field(form, "resource", required=False))
    response: web.StreamResponse
    if target is not None:
        response = web.Response(status=302, headers={"Location": target})
    else:
        response = web.json_response({"status": 200, "user": ANONYMOUS})
    clear_cookie(response)
    return response


async def login_page(request: web.Request) -> web.Response:
    resource = html.escape(request.query.get("resource", "/"), quote=True)
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Log in</title></head><body>"
        "<h1>Log in</h1><form method='post' action='/j_security_check'>"
        f"<input type='hidden' name='resource' value='{resource}'>"
        "<input type='hidden' name='_charset_' value='UTF-8'>"
        "<p><label>User <input name='j_username' autocomplete='username' required></label></p>"
        "<p><label>Password <input type='password' name='j_password'"
        " autocomplete='current-password' required></label></p>"
        "<p><button type='submit'>Log in</button></p></form></body></html>"
    )
    return web.Response(text=page, content_type="text/html")


# --- user manager --------------------------------------------------------------------------------
def properties_from(form: Form) -> dict[str, Property | None]:
    """Form fields as string properties (`name@Delete` removes); protected names refused."""
    out: dict[str, Property | None] = {}
    for key in dict.fromkeys(form.keys()):
        if key.startswith(":") or key in _RESERVED_FIELDS:
            continue
        name, _, suffix = key.partition("@")
        if suffix and suffix != "Delete":
            continue
        name = N.validate_name(name)
        if name.startswith(("rep:", "jcr:")):
            raise ProtectedItem(f"property {name} cannot be set here", name=name)
        if suffix == "Delete":
            out[name] = None
            continue
        values = tuple(v for v in form.getall(key) if isinstance(v, str))
        out.setdefault(name, Property(PropertyType.STRING, len(values) > 1, values))
    return out


def _values(form: Form, name: str) -> list[str]:
    return [v for v in form.getall(name, []) if isinstance(v, str) and v]


def _new_password(form: Form, name: str, confirm: str) -> str:
    password = field(form, name)
    if form.get(confirm) != password:
        raise PasswordMismatch(f"{name} and {confirm} differ", field=confirm)
    return password


def _kind(request: web.Request) -> users.Kind:
    return "group" if request.match_info["kind"] == "group" else "user"


async def create_authorizable(request: web.Request) -> web.Response:
    require_admin(request)
    form = await request.post()
    kind = _kind(request)
    name = field(form, ":name")
    props = {k: v for k, v in properties_from(form).items() if v is not None}
    manager, session = manager_of(request), system_session(request)
    if kind == "user":
        password = _new_password(form, "pwd", "pwdConfirm")
        changes = await users.create_user(manager, session, name, password, props)
    else:
        members = _values(form, ":member")
        changes = await users.create_group(manager, session, name, members, props)
    location = users.location_of(kind, name)
    return post_response(
        request,
        users.path_of(kind, name),
        location,
        changes,
        f"Created {location}",
        request.match_info["ext"],
    )


def _split_tail(tail: str, operations: Iterable[str]) -> tuple[str, str | None, str]:
    """`alice.update.json` -> ('alice', 'update', 'json'); ids may contain dots."""
    stem, dot, ext = tail.rpartition(".")
    if not dot or ext not in ("json", "html"):
        raise AuthorizableNotFound(f"no such resource {tail!r}", resource=tail)
    for op in operations:
        if stem.endswith("." + op):
            return stem[: -len(op) - 1], op, ext
    return stem, None, ext


async def post_authorizable(request: web.Request) -> web.Response:
    kind = _kind(request)
    name, op, ext = _split_tail(request.match_info["tail"], _OPERATIONS)
    policy = policy_of(request)
    form = await request.post()
    manager, session = manager_of(request), system_session(request)
    is_self = kind == "user" and name == policy.user_id and name != ANONYMOUS
    if not policy.is_admin and not (is_self and op in ("update", "changePassword")):
        if op is None or not policy.can_read(users.path_of(kind, name)):
            raise AuthorizableNotFound(f"no {kind} {name!r}", id=name)
        raise AdminRequired("only administrators may do this", user=policy.user_id)
    node = await users.get(session, kind, name)
    if op == "update":
        props = properties_from(form)
        adds = _values(form, ":member") if kind == "group" else []
        removes = _values(form, ":member@Delete") if kind == "group" else []
        changes = await users.update(manager, session, kind, name, props, adds, removes)
    elif op == "delete":
        changes = await users.delete(manager, session, kind, name)
    elif op == "changePassword" and kind == "user":
        if not policy.is_admin:
            await manager.authenticate(name, field(form, "oldPwd"))
        await manager.set_password(name, _new_password(form, "newPwd", "newPwdConfirm"))
        changes = []
    else:
        raise AuthorizableNotFound(f"no operation for {request.path}", path=request.path)
    location = users.location_of(kind, name)
    return post_response(request, node.path, location, changes, f"Content modified {location}", ext)


async def get_authorizable(request: web.Request) -> web.Response:
    kind = _kind(request)
    name, _op, _ext = _split_tail(request.match_info["tail"], ("tidy",))
    policy = policy_of(request)
    path = users.path_of(kind, name)
    if not policy.can_read(path):
        raise AuthorizableNotFound(f"no {kind} {name!r}", id=name)
    node = await users.get(system_session(request), kind, name)
    return web.json_response(await users.describe(manager_of(request), kind, node))


# --- access control ------------------------------------------------------------------------------
async def _controlled_node(request: web.Request, raw: str, *, modify: bool) -> str:
    """The node whose ACL the request is about; 404 if unreadable, 403 without the right."""
    path = P.normalize(raw)
    policy = policy_of(request)
    await session_for(request).node(path)
    allowed = (
        policy.can_modify_access_control(path) if modify else policy.can_read_access_control(path)
    )
    if not allowed:
        raise AdminRequired(
            f"{policy.user_id} may not {'modify' if modify else 'read'} the ACL of {path}",
            path=path,
        )
    return path


def _raw_path(request: web.Request) -> str:
    return "/" + request.match_info["path"]


async def modify_ace(request: web.Request) -> web.Response:
    path = await _controlled_node(request, _raw_path(request), modify=True)
    form = await request.post()
    return await _modify_ace(request, path, form, request.match_info["ext"])


async def _modify_ace(
    request: web.Request, path: str, form: Form, ext: str = "json"
) -> web.Response:
    principal = field(form, "principalId")
    changes = access.parse_changes((k, v) for k, v in form.items() if isinstance(v, str))
    result = await access.modify_ace(
        manager_of(request), system_session(request), path, principal, changes
    )
    return post_response(request, path, path, result, f"Access control modified {path}", ext)


def as_form(params: Any) -> Form:
    """The POST servlet's parameters (a list of pairs under `.items`) as a form multidict."""
    if isinstance(params, MultiDictProxy):
        return params
    raw = getattr(params, "items", None)
    pairs = raw() if callable(raw) else raw
    return MultiDictProxy(MultiDict(list(pairs or [])))


async def delete_ace(request: web.Request) -> web.Response:
    path = await _controlled_node(request, _raw_path(request), modify=True)
    form = await request.post()
    return await _delete_ace(request, path, form, request.match_info["ext"])


async def _delete_ace(
    request: web.Request, path: str, form: Any, ext: str = "json"
) -> web.Response:
    getall = getattr(form, "getall", None)
    principals = [v for v in (getall(":applyTo", []) if getall else []) if isinstance(v, str) and v]
    if not principals:
        raise MissingField("the field ':applyTo' is required", field=":applyTo")
    result = await access.delete_aces(
        manager_of(request), system_session(request), path, principals
    )
    return post_response(request, path, path, result, f"Access control deleted {path}", ext)


async def get_acl(request: web.Request) -> web.Response:
    path = await _controlled_node(request, _raw_path(request), modify=False)
    state = await manager_of(request).state()
    if request.match_info["kind"] == "acl":
        return web.json_response(access.declared_json(state, path))
    body = {}
    for order, (principal, (allow, deny, where)) in enumerate(
        effective_entries(state, path).items()
    ):
        entry = access.ace_json(principal, allow, deny, order)
        entry["declaredAt"] = where
        body[principal] = entry
    return web.json_response(body)


async def modify_ace_operation(
    request: web.Request, session: ContentSession, path: str, form: Any
) -> web.StreamResponse:
    """`:operation=modifyAce` through the Sling POST servlet."""
    del session
    checked = await _controlled_node(request, path, modify=True)
    return await _modify_ace(request, checked, as_form(form))


async def delete_ace_operation(
    request: web.Request, session: ContentSession, path: str, form: Any
) -> web.StreamResponse:
    del session
    checked = await _controlled_node(request, path, modify=True)
    return await _delete_ace(request, checked, as_form(form))


def setup_routes(app: web.Application) -> None:
    router = app.router
    router.add_post("/j_security_check", login)
    router.add_get("/system/sling/logout", logout)
    router.add_post("/system/sling/logout", logout)
    for page in LOGIN_PAGES:
        router.add_get(page, login_page)
    router.add_post(
        "/system/userManager/{kind:user|group}.create.{ext:json|html}", create_authorizable
    )
    router.add_post("/system/userManager/{kind:user|group}/{tail}", post_authorizable)
    router.add_get("/system/userManager/{kind:user|group}/{tail}", get_authorizable)
    router.add_post("/{path:.*}.modifyAce.{ext:json|html}", modify_ace)
    router.add_post("/{path:.*}.deleteAce.{ext:json|html}", delete_ace)
    router.add_get("/{path:.*}.{kind:acl|eacl}.json", get_acl)
    operations = app[extensions_key].operations
    operations.setdefault("modifyAce", modify_ace_operation)
    operations.setdefault("deleteAce", delete_ace_operation)
