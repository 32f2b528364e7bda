"""The web app: ``create_app(settings)`` gives a FastAPI application.

Requests run in a thread pool; each thread has its own connection to the library (SQLite
connections are not shared), while the embedding model and the vector index are loaded
once and shared. Who is asking is decided here and only here: a session cookie (pages, and
the API from the browser: then unsafe methods need the ``X-CSRF-Token`` header or the
``csrf`` form field) or an ``Authorization: Bearer`` API token. Every route acts on the
asking user's own reader; no route takes another reader's name.
"""

from __future__ import annotations

import copy
import hmac
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Annotated, cast

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from papersift.accounts import Accounts, Session
from papersift.config import Settings
from papersift.digest import ExpiredLinkError
from papersift.embed import Embedder, embedder_name, load_embedder
from papersift.errors import BusyError, NotFoundError, PapersiftError
from papersift.index.database import DatabaseIndex, DatabaseVectors
from papersift.index.vector import VectorIndex
from papersift.links import safe_url
from papersift.models import Hit, User
from papersift.recommend import FeedSettings, Recommender
from papersift.search import Searcher
from papersift.store import Store, open_store

COOKIE = "papersift_session"
log = logging.getLogger(__name__)
_request_store: ContextVar[Store | None] = ContextVar("papersift_request_store", default=None)
FEED_CACHE = 256  # feeds kept (each a few kB)
WEB = resources.files("papersift.web")
#: Sent with every response (issue 13): scripts, styles and forms only from this site (no
#: inline script: HTMX and papersift.js are files), never framed, no Referer to other sites.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; base-uri 'none'; object-src 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


@dataclass(frozen=True)
class Ranked:
    """A feed, and whether it reflects the reader's latest 👍/👎 (else a new ranking is
    under way)."""

    hits: list[Hit]
    fresh: bool


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
        self._feeds: OrderedDict[tuple[object, ...], tuple[object, list[Hit]]] = OrderedDict()
        self._pending: set[tuple[object, ...]] = set()
        self._background = ThreadPoolExecutor(1, thread_name_prefix="papersift-rank")
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
        if isinstance(searcher._index, DatabaseIndex):  # pgvector: it reads through a store
            searcher._index = copy.copy(searcher._index)  # this request's, not a closed one
            searcher._index.store = cast(DatabaseVectors, store)
        return searcher

    def feed(self, user: User, settings: FeedSettings, *, wait: bool = True) -> Ranked:
        """The reader's feed, ranked once per (library, reader, settings, day) state: a
        reload, or fifty clients asking at once, cost one ranking.

        After a 👍/👎 (the reader's state moved on) and with ``wait=False``, the previous
        ranking comes back at once, marked stale, while the new one is computed in the
        background (``feedback`` starts it as the vote arrives); ``wait=True`` (the API, a
        first visit, new papers in the library) returns only a current ranking.
        """
        store = self.store()
        base = (user.reader_id, settings, date.today().isoformat(), store.library_version())
        version = store.reader_version(user.reader_id)
        with self._lock:
            cached = self._feeds.get(base)
        if cached is not None and (cached[0] == version or not wait):
            if cached[0] != version:
                self._refresh(user, settings)
            return Ranked(cached[1], fresh=cached[0] == version)
        return Ranked(self._rank(user, settings, base, version), fresh=True)

    def _rank(
        self, user: User, settings: FeedSettings, base: tuple[object, ...], version: object
    ) -> list[Hit]:
        # One ranking at a time per process: its numpy work uses the cores, and forty
        # threads ranking at once only thrash them (measured: 17 s instead of 0.8 s a feed).
        with self._feed_lock:
            with self._lock:
                cached = self._feeds.get(base)  # ranked while this thread waited
            if cached is not None and cached[0] == version:
                return cached[1]
            hits = self.recommender().feed(user.name, settings)
        with self._lock:
            self._feeds[base] = (version, hits)
            self._feeds.move_to_end(base)
            while len(self._feeds) > FEED_CACHE:
                self._feeds.popitem(last=False)
        return hits

    def feedback_given(self, user: User) -> None:
        """A 👍/👎 arrived: re-rank, in the background, the feeds this reader looked at."""
        with self._lock:
            settings = [k[1] for k in self._feeds if k[0] == user.reader_id]
        for each in settings:
            if isinstance(each, FeedSettings):
                self._refresh(user, each)

    def _refresh(self, user: User, settings: FeedSettings) -> None:
        key = (user.reader_id, settings)
        with self._lock:
            if key in self._pending:
                return  # queued: it will read the newest state when it runs
            self._pending.add(key)
        self._background.submit(self._refresh_now, user, settings, key)

    def _refresh_now(self, user: User, settings: FeedSettings, key: tuple[object, ...]) -> None:
        with self._lock:
            self._pending.discard(key)  # a vote from now on queues another run
        store = open_store(self.settings.db)
        token = _request_store.set(store)
        try:
            base = (user.reader_id, settings, date.today().isoformat(), store.library_version())
            self._rank(user, settings, base, store.reader_version(user.reader_id))
        except Exception:  # a background ranking must not die silently nor kill the pool
            log.exception("re-ranking the feed of %s failed", user.name)
        finally:
            _request_store.reset(token)
            store.close()

    def recommender(self) -> Recommender:
        return Recommender(self.store(), self.searcher())

    def warm_up(self) -> None:
        """Before the first request: bring the full-text index up to date and load the vector
        index and the model, so that no visitor waits for them (or for each other)."""
        store = open_store(self.settings.db)
        token = _request_store.set(store)
        try:
            searcher = self.searcher()
            searcher.sync_lexical()
            if self._index is not None:
                self.embedder()
        finally:
            _request_store.reset(token)
            store.close()


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


templates = Jinja2Templates(directory=str(WEB / "templates"))
templates.env.filters["safe_url"] = safe_url  # a paper's url as a link only when http(s)


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
    trusted_proxies: Collection[str] = (),
) -> FastAPI:
    """The app over the library of ``settings`` (``open_signup``: anyone may make an
    account; ``secure_cookies``: send the session cookie over HTTPS only;
    ``trusted_proxies``: addresses of reverse proxies whose ``X-Forwarded-For`` is
    believed, for the login throttle)."""
    from papersift.web import account_pages, api, map_routes, onboarding, pages
    from papersift.web.errors import add_error_pages, error_page, without_paths

    lib = Library(settings, embedder_factory, model_name)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(lib.warm_up)
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="papersift",
        summary="Research-paper search and recommendations: the JSON API",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.library = lib
    app.state.open_signup = open_signup
    app.state.secure_cookies = secure_cookies
    app.state.trusted_proxies = frozenset(trusted_proxies)
    app.mount("/static", StaticFiles(directory=str(WEB / "static")), name="static")

    @app.middleware("http")
    async def _security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

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
    app.include_router(account_pages.router)
    app.include_router(pages.router)
    app.include_router(map_routes.router)
    app.include_router(onboarding.router)

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
        # another writer held the library too long: nothing was stored, ask to retry
        busy = {"Retry-After": str(exc.retry_after)} if isinstance(exc, BusyError) else {}
        status = BusyError.http_status if busy else status
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=status, headers=busy)
        response = error_page(request, without_paths(str(exc)), status)
        response.headers.update(busy)
        return response

    add_error_pages(app)
    return app


ENV_SIGNUP = "PAPERSIFT_OPEN_SIGNUP"
ENV_SECURE = "PAPERSIFT_SECURE_COOKIES"
ENV_PROXIES = "PAPERSIFT_TRUSTED_PROXIES"  # comma-separated addresses


def app_from_environment() -> FastAPI:
    """The app of ``papersift serve``, from ``PAPERSIFT_*`` variables: each server worker
    process calls this (uvicorn starts workers from an import string, not an object)."""
    return create_app(
        Settings.load(),
        open_signup=os.environ.get(ENV_SIGNUP, "1") == "1",
        secure_cookies=os.environ.get(ENV_SECURE, "0") == "1",
        trusted_proxies=[a.strip() for a in os.environ.get(ENV_PROXIES, "").split(",") if a],
    )


def run_server(
    factory: str, host: str, port: int, workers: int = 1, app_dir: str | None = None
) -> None:
    """Serve the app that the import string ``factory`` (``module:function``) makes, in
    ``workers`` processes, each with one BLAS thread: a ranking is many small products, and
    OpenBLAS threads spinning for them used twice the CPU for no gain (measured: 370 ms of
    CPU per feed instead of 200, at the same wall time)."""
    import uvicorn
    from threadpoolctl import threadpool_limits

    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")  # worker processes read these as they start
    threadpool_limits(1)  # this process, whose numpy is loaded already
    uvicorn.run(
        factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        app_dir=app_dir,
    )
