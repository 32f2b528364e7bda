"""The web app: ``create_app(settings)`` gives a FastAPI application.

Requests run in a thread pool; each thread has its own connection to the library (SQLite
connections are not shared), while the embedding model and the vector index are loaded
once and shared. Who is asking is decided here and only here: a session cookie (pages, and
the API from the browser: then unsafe methods need the ``X-CSRF-Token`` header or the
``csrf`` form field) or an ``Authorization: Bearer`` API token. Every route acts on the
asking user's own reader; no route takes another reader's name.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from papersift.accounts import Accounts, Session
from papersift.config import Settings
from papersift.digest import ExpiredLinkError
from papersift.embed import Embedder, embedder_name, load_embedder
from papersift.errors import NotFoundError, PapersiftError, UsageError
from papersift.index.vector import VectorIndex
from papersift.models import Hit, User
from papersift.recommend import FeedSettings, Recommender
from papersift.search import Searcher
from papersift.store import Store, open_store

COOKIE = "papersift_session"
_request_store: ContextVar[Store | None] = ContextVar("papersift_request_store", default=None)
FEED_CACHE = 256  # feeds kept (each a few kB)
WEB = resources.files("papersift.web")


class Library:
    """The library behind the app: a store per thread, one model and one vector index."""

    def __init__(
        self,
        settings: Settings,
        embedder_factory: Callable[[], Embedder] | None = None,
        model_name: str | None = None,
    ) -> None:
        self.settings = settings
        self.model_name = model_name or embedder_name(settings.model)
        self._factory = embedder_factory or (lambda: load_embedder(settings.model))
        self._embedder: Embedder | None = None
        self._index: VectorIndex | None = None
        self._index_version = -1
        self._feeds: dict[tuple[object, ...], list[Hit]] = {}
        self._lock = threading.Lock()
        self._feed_lock = threading.Lock()

    def store(self) -> Store:
        """The connection of the current request, opened by the middleware for each one (a
        connection kept across requests could keep reading an old snapshot)."""
        store = _request_store.get()
        if store is None:
            raise RuntimeError("Library.store() is only available while serving a request")
        return store

    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = self._factory()
            return self._embedder

    def searcher(self) -> Searcher:
        store = self.store()
        searcher = Searcher(store, self.embedder, self.model_name, self.settings.index_kind)
        version = store.library_version()[1]
        with self._lock:
            if version != self._index_version and store.embedding_counts().get(self.model_name):
                self._index = searcher.vectors()  # new vectors were written since
                self._index_version = version
            searcher._index = self._index
        return searcher

    def feed(self, user: User, settings: FeedSettings) -> list[Hit]:
        """The reader's feed, computed once per (library, reader, settings, day) state: a
        reload, or fifty clients asking at once, cost one ranking."""
        store = self.store()
        key = (
            user.reader_id,
            settings,
            date.today().isoformat(),
            store.library_version(),
            store.reader_version(user.reader_id),
        )
        with self._lock:
            hit = self._feeds.get(key)
        if hit is not None:
            return hit
        # One ranking at a time: its numpy/BLAS work uses every core, and forty threads
        # ranking at once only thrash them (measured: 17 s instead of 0.8 s per feed).
        with self._feed_lock:
            with self._lock:
                hit = self._feeds.get(key)  # computed while this thread waited
            if hit is not None:
                return hit
            hits = self.recommender().feed(user.name, settings)
        with self._lock:
            self._feeds[key] = hits
            while len(self._feeds) > FEED_CACHE:
                self._feeds.pop(next(iter(self._feeds)))
        return hits

    def recommender(self) -> Recommender:
        return Recommender(self.store(), self.searcher())


@dataclass(frozen=True)
class Caller:
    """Who is asking: the user, and how (a browser session carries a CSRF token)."""

    user: User
    session: Session | None = None

    @property
    def csrf(self) -> str:
        return self.session.csrf if self.session else ""


def library(request: Request) -> Library:
    lib: Library = request.app.state.library
    return lib


def store(lib: Annotated[Library, Depends(library)]) -> Store:
    return lib.store()


def _caller(request: Request, lib: Library) -> Caller | None:
    accounts = Accounts(lib.store())
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        user = accounts.user_of_api_token(auth[7:].strip())
        if user is None:
            raise HTTPException(401, "unknown API token")
        return Caller(user)
    token = request.cookies.get(COOKIE)
    session = accounts.session(token) if token else None
    return Caller(session.user, session) if session else None


class LoginRequired(Exception):
    """A page asked for a user; the browser is sent to the login page."""


def optional_caller(request: Request, lib: Annotated[Library, Depends(library)]) -> Caller | None:
    return _caller(request, lib)


async def _check_csrf(request: Request, caller: Caller) -> None:
    if caller.session is None or request.method in ("GET", "HEAD", "OPTIONS"):
        return  # API tokens are not sent by browsers on their own: no CSRF to fear
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf")
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, caller.csrf):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page")


async def page_caller(request: Request, lib: Annotated[Library, Depends(library)]) -> Caller:
    caller = _caller(request, lib)
    if caller is None:
        raise LoginRequired
    await _check_csrf(request, caller)
    return caller


async def api_caller(request: Request, lib: Annotated[Library, Depends(library)]) -> Caller:
    caller = _caller(request, lib)
    if caller is None:
        raise HTTPException(401, "log in or send an API token (Authorization: Bearer ...)")
    await _check_csrf(request, caller)
    return caller


async def admin_caller(caller: Annotated[Caller, Depends(page_caller)]) -> Caller:
    if not caller.user.is_admin:
        raise HTTPException(403, "only an admin may do this")
    return caller


async def api_admin(caller: Annotated[Caller, Depends(api_caller)]) -> Caller:
    if not caller.user.is_admin:
        raise HTTPException(403, "only an admin may do this")
    return caller


templates = Jinja2Templates(directory=str(WEB / "templates"))


def render(request: Request, name: str, caller: Caller | None, **context: object) -> HTMLResponse:
    return templates.TemplateResponse(
        request, name, {"caller": caller, "csrf": caller.csrf if caller else "", **context}
    )


def create_app(
    settings: Settings,
    *,
    embedder_factory: Callable[[], Embedder] | None = None,
    open_signup: bool = True,
    secure_cookies: bool = False,
    model_name: str | None = None,
) -> FastAPI:
    """The app over the library of ``settings`` (``open_signup``: anyone may make an
    account; ``secure_cookies``: send the session cookie over HTTPS only)."""
    from papersift.web import api, pages

    app = FastAPI(
        title="papersift",
        summary="Research-paper search and recommendations: the JSON API",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.library = Library(settings, embedder_factory, model_name)
    app.state.open_signup = open_signup
    app.state.secure_cookies = secure_cookies
    app.mount("/static", StaticFiles(directory=str(WEB / "static")), name="static")

    @app.middleware("http")
    async def _one_connection_per_request(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.url.path.startswith("/static/"):
            return await call_next(request)
        store = open_store(settings.db)
        token = _request_store.set(store)
        try:
            return await call_next(request)
        finally:
            _request_store.reset(token)
            store.close()

    app.include_router(api.router)
    app.include_router(pages.router)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(PapersiftError)
    async def _error(request: Request, exc: PapersiftError) -> Response:
        status = 404 if isinstance(exc, NotFoundError) else 400
        if isinstance(exc, ExpiredLinkError):
            status = 410
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=status)
        caller = _caller(request, library(request))
        response = render(request, "error.html", caller, message=str(exc))
        response.status_code = status
        return response

    return app


def form_text(value: object) -> str:
    if not isinstance(value, str):
        raise UsageError("expected a text field")
    return value.strip()
