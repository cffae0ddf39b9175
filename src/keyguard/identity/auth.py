"""Authentication of HTTP requests, shared by the web pages and the REST API.

One dependency, :func:`request_context`, opens the request's database session, finds who
is asking (``Authorization: Bearer`` API token, else the session cookie), sets the audit
actor for the whole request and commits before the response is sent. Routes declare what
they need with :func:`require` (a permission), :func:`login_required` or :func:`public`;
each returns a ``Depends`` whose callable carries an :class:`Access` marker, so a test can
walk ``app.routes`` and check every route against every role.

Permissions are decided by :func:`keyguard.identity.permissions.can` in the unit of the
request: the ``unit_id`` path parameter when the URL addresses a unit's records, else the
session's active unit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import Depends, HTTPException, Request
from fastapi.dependencies.models import Dependant
from sqlalchemy import Table, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from keyguard.audit.context import Actor, actor_scope
from keyguard.db.session import sessionmaker_for
from keyguard.identity.models import Account, ApiToken, WebSession
from keyguard.identity.permissions import Principal, can, role_book
from keyguard.identity.service import accessible_unit_ids, principal_for
from keyguard.identity.sessions import actor_for, find_session
from keyguard.identity.tokens import find_token

SESSION_COOKIE = "kg_session"
ANONYMOUS = Actor(name="web:anonymous")


@dataclass(frozen=True)
class Access:
    """What a route needs: nothing (``public``), a login, or a permission in the unit."""

    kind: Literal["public", "login", "permission"]
    permission: str | None = None


@dataclass(frozen=True)
class UnitInfo:
    """The few facts about a unit every page needs (name for the header, demo banner)."""

    id: int
    code: str
    name: str
    is_demo: bool
    timezone: str


@dataclass
class RequestContext:
    """Who is asking and through what; one per request (``request.state.keyguard``)."""

    db: Session
    account: Account | None = None
    principal: Principal | None = None
    web_session: WebSession | None = None
    api_token: ApiToken | None = None
    via: Literal["session", "token"] | None = None
    unit_id: int | None = None
    _unit_ids: list[int] | None = field(default=None, repr=False)
    _units: dict[int, UnitInfo] = field(default_factory=dict, repr=False)

    @property
    def totp_pending(self) -> bool:
        """A password was accepted but the second factor is still due."""
        return self.web_session is not None and self.principal is None

    @property
    def actor(self) -> Actor:
        return actor_for(self.account) if self.account and self.principal else ANONYMOUS

    def unit_ids(self) -> list[int]:
        """Units this principal may pick as active unit (sorted by code)."""
        if self.principal is None:
            return []
        if self._unit_ids is None:
            self._unit_ids = accessible_unit_ids(self.db, self.principal)
        return self._unit_ids

    def unit(self, unit_id: int | None) -> UnitInfo | None:
        """Facts about one unit (cached for the request)."""
        if unit_id is None:
            return None
        if unit_id not in self._units:
            table: Table = Account.metadata.tables["unit"]
            row = self.db.execute(
                select(
                    table.c.id, table.c.code, table.c.name, table.c.is_demo, table.c.timezone
                ).where(table.c.id == unit_id)
            ).first()
            if row is None:
                return None
            self._units[unit_id] = UnitInfo(
                row.id, row.code, row.name, bool(row.is_demo), row.timezone
            )
        return self._units[unit_id]

    def units(self) -> list[UnitInfo]:
        return [u for u in (self.unit(i) for i in self.unit_ids()) if u is not None]

    @property
    def active_unit(self) -> UnitInfo | None:
        return self.unit(self.unit_id)


def authenticate(db: Session, request: Request) -> RequestContext:
    """Who sent ``request``: a bearer token (401 when invalid), else the session cookie."""
    ctx = RequestContext(db=db)
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        token = find_token(db, value.strip()) if scheme.lower() == "bearer" else None
        account = db.get(Account, token.account_id) if token else None
        if token is None or account is None or not account.is_active:
            raise HTTPException(
                401, "invalid, expired or revoked API token", headers={"WWW-Authenticate": "Bearer"}
            )
        ctx.account, ctx.api_token, ctx.via = account, token, "token"
        ctx.principal = principal_for(db, account)
    else:
        ws = find_session(db, request.cookies.get(SESSION_COOKIE))
        account = db.get(Account, ws.account_id) if ws else None
        if ws is not None and account is not None and account.is_active:
            ctx.web_session, ctx.account = ws, account
            if ws.totp_passed:
                ctx.via = "session"
                ctx.principal = principal_for(db, account)
    if ctx.principal is not None:
        ids = ctx.unit_ids()
        preferred = ctx.web_session.active_unit_id if ctx.web_session else None
        if preferred not in ids:
            preferred = ctx.account.unit_id if ctx.account else None
        ctx.unit_id = preferred if preferred in ids else (ids[0] if ids else None)
    return ctx


async def request_context(request: Request) -> AsyncIterator[RequestContext]:
    """Open the request's session, authenticate, act as the account; commit at the end."""
    db = sessionmaker_for()()
    try:
        ctx = await run_in_threadpool(authenticate, db, request)
        request.state.keyguard = ctx
        with actor_scope(ctx.actor):
            try:
                yield ctx
            except BaseException:
                # Error pages authenticate again with a fresh session (this one is spent).
                request.state.keyguard = None
                await run_in_threadpool(db.rollback)
                raise
            await run_in_threadpool(db.commit)
    finally:
        await run_in_threadpool(db.close)


#: The request context; ``scope="function"`` commits before the response is sent.
RequestCtx = Annotated[RequestContext, Depends(request_context, scope="function")]


def not_authenticated() -> HTTPException:
    return HTTPException(401, "log in first", headers={"WWW-Authenticate": "Bearer"})


def forbidden(detail: str = "you may not do this here") -> HTTPException:
    return HTTPException(403, detail)


def path_unit_id(request: Request) -> int | None:
    """The ``unit_id`` path parameter, when the URL addresses one unit's records."""
    raw = request.path_params.get("unit_id")
    if raw is None:
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise HTTPException(404, "no such unit") from None


def _enter_unit(ctx: RequestContext, request: Request) -> int | None:
    """The unit the request acts in; a unit in the URL must be one of the principal's."""
    wanted = path_unit_id(request)
    if wanted is None:
        return ctx.unit_id
    if wanted not in ctx.unit_ids():
        raise forbidden("this unit is not one of yours")
    if ctx.unit_id != wanted:
        ctx.unit_id = wanted
        if ctx.web_session is not None:
            ctx.web_session.active_unit_id = wanted
    return wanted


def _mark(fn: Callable[..., Any], access: Access) -> Any:
    fn.__keyguard_access__ = access  # type: ignore[attr-defined]
    return Depends(fn)


def require(permission: str) -> Any:
    """Dependency: a logged-in principal holding ``permission`` in the request's unit."""
    if permission not in role_book().permissions:
        raise KeyError(f"unknown permission {permission!r} (see library/roles.yaml)")

    def check(request: Request, ctx: RequestCtx) -> Principal:
        if ctx.principal is None:
            raise not_authenticated()
        unit_id = _enter_unit(ctx, request)
        if not can(ctx.principal, permission, unit_id):
            raise forbidden()
        return ctx.principal

    check.__name__ = f"require_{permission.replace('.', '_')}"
    return _mark(check, Access("permission", permission))


def login_required() -> Any:
    """Dependency: any logged-in principal (a unit in the URL must still be theirs)."""

    def check(request: Request, ctx: RequestCtx) -> Principal:
        if ctx.principal is None:
            raise not_authenticated()
        _enter_unit(ctx, request)
        return ctx.principal

    return _mark(check, Access("login"))


def public() -> Any:
    """Dependency marking a route that anybody may open (login, health, static)."""

    def check(ctx: RequestCtx) -> RequestContext:
        return ctx

    return _mark(check, Access("public"))


def current_account(ctx: RequestCtx) -> Account:
    """The logged-in account (401 when nobody is)."""
    if ctx.account is None or ctx.principal is None:
        raise not_authenticated()
    return ctx.account


def active_unit(request: Request, ctx: RequestCtx) -> UnitInfo:
    """The unit the request acts in (404 when the principal has none)."""
    if ctx.principal is None:
        raise not_authenticated()
    unit = ctx.unit(_enter_unit(ctx, request))
    if unit is None:
        raise HTTPException(404, "no unit to show: you hold no role in any unit")
    return unit


def get_db(ctx: RequestCtx) -> Session:
    """The request's database session (committed by :func:`request_context`)."""
    return ctx.db


DbSession = Annotated[Session, Depends(get_db)]
CurrentAccount = Annotated[Account, Depends(current_account)]
ActiveUnit = Annotated[UnitInfo, Depends(active_unit)]


def _walk(dependant: Dependant) -> Iterable[Any]:
    for dep in dependant.dependencies:
        if dep.call is not None:
            yield dep.call
        yield from _walk(dep)


def route_access(route: Any) -> list[Access]:
    """Every :class:`Access` marker among a route's dependencies (empty: none declared)."""
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return []
    return [a for call in _walk(dependant) if (a := getattr(call, "__keyguard_access__", None))]
