"""The FastAPI application: pages from ``web/routes/*.py``, the JSON API from plugins
(``keyguard_web_routers``: ``keyguard.api`` mounts ``/api/v1`` this way), static files,
local API docs, CSRF on every unsafe method, security headers and error pages.

``keyguard serve`` runs ``keyguard.web.app:create_app`` as a factory.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from keyguard import __version__
from keyguard.db.session import sessionmaker_for
from keyguard.errors import KeyguardError, NotFound, PermissionDenied
from keyguard.identity.auth import RequestContext, authenticate, login_required
from keyguard.plugins import get_plugin_manager
from keyguard.web.csrf import csrf_protect
from keyguard.web.deps import DashboardCard, render
from keyguard.web.ratelimit import FailureWindow

STATIC = Path(__file__).resolve().parent / "static"
API_PREFIX = "/api/"

#: Content-Security-Policy: no inline script or style anywhere, nothing from other origins.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]


class SecurityHeaders:
    """Adds the security headers to every response; pages are never cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                if not static and b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _route_modules() -> list[Any]:
    import keyguard.web.routes

    return [
        importlib.import_module(f"keyguard.web.routes.{info.name}")
        for info in sorted(pkgutil.iter_modules(keyguard.web.routes.__path__), key=lambda i: i.name)
        if not info.name.startswith("_")
    ]


def is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


async def _page_context(request: Request) -> Any:
    """Who is asking, for an error page raised before (or after) the request's session."""
    ctx = getattr(request.state, "keyguard", None)
    if ctx is not None:
        return ctx, None
    db = sessionmaker_for()()
    try:
        ctx = await run_in_threadpool(authenticate, db, request)
    except StarletteHTTPException:
        ctx = RequestContext(db=db)
    request.state.keyguard = ctx
    return ctx, db


async def _error_page(request: Request, status: int, message: str) -> Response:
    ctx, own_db = await _page_context(request)
    try:
        return await run_in_threadpool(
            render,
            request,
            "error.html",
            {"status": status, "message": message},
            status_code=status,
        )
    finally:
        await run_in_threadpool((own_db or ctx.db).close)


def _login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if is_api(request):
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )
    if exc.status_code == 401:
        return _login_redirect(request)
    return await _error_page(request, exc.status_code, str(exc.detail or ""))


async def keyguard_error(request: Request, exc: Exception) -> Response:
    status = 404 if isinstance(exc, NotFound) else 403 if isinstance(exc, PermissionDenied) else 400
    if is_api(request):
        return JSONResponse({"detail": str(exc)}, status_code=status)
    return await _error_page(request, status, str(exc))


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if is_api(request):
        return JSONResponse({"detail": exc.errors()}, status_code=422)
    fields = sorted({str(e.get("loc", ["", "?"])[-1]) for e in exc.errors()})
    return await _error_page(request, 422, ", ".join(fields))


def _docs_routes(app: FastAPI) -> None:
    def openapi_schema() -> dict[str, Any]:
        if app.openapi_schema is None:
            routes = [
                r
                for r in iter_route_contexts(app.routes)
                if str(r.path or "").startswith("/api/v1")
            ]
            app.openapi_schema = get_openapi(
                title="keyguard API",
                version=__version__,
                routes=routes,
                description="REST API of keyguard. Authenticate with `Authorization: Bearer "
                "<token>` (create a token on the My account page) or the session cookie "
                "(then unsafe methods need the `X-CSRF-Token` header).",
            )
        return app.openapi_schema

    @app.get("/api/openapi.json", include_in_schema=False, dependencies=[login_required()])
    def openapi_json() -> JSONResponse:
        return JSONResponse(openapi_schema())

    @app.get(
        "/api/docs",
        include_in_schema=False,
        response_class=HTMLResponse,
        dependencies=[login_required()],
    )
    def api_docs(request: Request) -> HTMLResponse:
        return render(request, "api_docs.html")


def create_app() -> FastAPI:
    """Build the application (pages, API, static files) from the installed modules."""
    app = FastAPI(
        title="keyguard",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(csrf_protect)],
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.state.public_mounts = {"/static"}
    app.state.login_failures = FailureWindow()
    nav: list[dict[str, Any]] = []
    cards: list[DashboardCard] = []
    for module in _route_modules():
        app.include_router(module.router)
        nav.extend(getattr(module, "NAV", []))
        cards.extend(getattr(module, "DASHBOARD_CARDS", []))
    pm = get_plugin_manager()
    for batch in pm.hook.keyguard_web_routers():
        for router in batch or []:
            app.include_router(router)
    for batch in pm.hook.keyguard_nav_items():
        nav.extend(batch or [])
    _docs_routes(app)
    app.state.nav = sorted(nav, key=lambda item: (item.get("order", 100), str(item["path"])))
    app.state.dashboard_cards = sorted(cards, key=lambda c: (c.order, c.key))
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(KeyguardError, keyguard_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_middleware(SecurityHeaders)
    return app
