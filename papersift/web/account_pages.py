"""Pages of accounts: logging in and out, signing up, the profile's forms (author names,
pasted papers, API tokens). A form that fails comes back with its message and what was
typed (never a password); a new API token is shown once, on the page that made it, never in
an address (issue 13)."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from papersift import login_throttle
from papersift.accounts import MIN_PASSWORD, SESSION_DAYS, Accounts, AuthError
from papersift.errors import PapersiftError, UsageError
from papersift.store import Store
from papersift.web import service
from papersift.web.app import (
    COOKIE,
    Caller,
    Library,
    library,
    optional_caller,
    page_caller,
    render,
    store,
)

router = APIRouter(include_in_schema=False)
Lib = Annotated[Library, Depends(library)]
Me = Annotated[Caller, Depends(page_caller)]
Maybe = Annotated[Caller | None, Depends(optional_caller)]
St = Annotated[Store, Depends(store)]
Text = Annotated[str, Form()]
#: What a reader may add from the profile (the CLI takes any size): a paste of 1 MB holds
#: about 700 abstracts, an upload of 5 MB a few thousand BibTeX entries.
PASTE_LIMIT = 1024 * 1024
UPLOAD_LIMIT = 5 * 1024 * 1024
TOKEN_DAYS = (30, 90, 365)


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/feed"


def _logged_in(request: Request, target: str, token: str) -> Response:
    response = RedirectResponse(_safe_next(target), status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=SESSION_DAYS * 86400,
        httponly=True,
        samesite="lax",
        secure=bool(request.app.state.secure_cookies),
    )
    return response


def _page(
    request: Request, name: str, caller: Caller | None, status: int, **ctx: object
) -> Response:
    response = render(request, name, caller, **ctx)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/")
def home(caller: Maybe) -> Response:
    return RedirectResponse("/feed" if caller else "/login", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, caller: Maybe, next: str = "/feed") -> Response:
    return render(request, "login.html", caller, next=_safe_next(next), error=None, username="")


def _address(request: Request) -> str:
    return login_throttle.client_address(
        request.client.host if request.client else None,
        request.headers.get("x-forwarded-for"),
        request.app.state.trusted_proxies,
    )


@router.post("/login")
def login(
    request: Request, st: St, name: Text = "", password: Text = "", next: Text = "/feed"
) -> Response:
    """Each try is counted in the library before the password is checked
    (papersift.login_throttle): the throttle holds under concurrency and across workers."""
    name, target, address, now = (
        name.strip()[:100],
        _safe_next(next),
        _address(request),
        time.time(),
    )
    form = {"next": target, "username": name}
    if not name or not password:
        return _page(
            request, "login.html", None, 400, error="give your user name and password", **form
        )
    wait, claimed = login_throttle.claim(st, address, name, now)
    if wait > 0:
        error = f"too many failed logins: try again in {math.ceil(wait / 60)} min"
        response = _page(request, "login.html", None, 429, error=error, **form)
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response
    try:
        session = Accounts(st).log_in(name, password[:1024])
    except AuthError as exc:
        return _page(request, "login.html", None, 401, error=str(exc), **form)
    login_throttle.succeeded(st, address, name, claimed, now)
    return _logged_in(request, target, session.token)


@router.get("/signup", response_class=HTMLResponse)
def signup_page(request: Request, caller: Maybe) -> Response:
    open_signup = request.app.state.open_signup
    return render(request, "signup.html", caller, error=None, open=open_signup, **_signup_form())


def _signup_form(name: str = "", email: str = "") -> dict[str, object]:
    return {"username": name, "email": email, "min_password": MIN_PASSWORD}


@router.post("/signup")
def signup(
    request: Request, st: St, name: Text = "", password: Text = "", email: Text = ""
) -> Response:
    """A new account with a new reader: never an existing reader (``Accounts.add_user``)."""
    name, email = name.strip()[:100], email.strip()[:200]
    form = _signup_form(name, email)
    if not request.app.state.open_signup:
        return _page(
            request, "signup.html", None, 403, error="sign-up is closed", open=False, **form
        )
    accounts = Accounts(st)
    try:
        accounts.add_user(name, password, email=email or None)
        session = accounts.log_in(name, password)
    except PapersiftError as exc:
        return _page(request, "signup.html", None, 400, error=str(exc), open=True, **form)
    return _logged_in(request, "/onboarding", session.token)  # the guided first steps


@router.post("/logout")
def logout(request: Request, me: Me, st: St) -> Response:
    if me.session:
        Accounts(st).log_out(me.session.token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


# ---------------------------------------------------------------------- profile


def _profile(
    request: Request, me: Caller, lib: Library, status: int = 200, **ctx: object
) -> Response:
    defaults: dict[str, object] = {
        "error": None,
        "note": None,
        "text": "",
        "author": "",
        "new_token": "",
    }
    return _page(
        request,
        "profile.html",
        me,
        status,
        profile=service.profile(lib.store(), me.user),
        base=str(request.base_url).rstrip("/"),
        paste_limit=PASTE_LIMIT,
        upload_limit=UPLOAD_LIMIT,
        token_days=TOKEN_DAYS,
        expiry=lib.store().api_token_expiry(me.user.id),
        **{**defaults, **ctx},
    )


@router.get("/profile", response_class=HTMLResponse)
def profile_page(request: Request, me: Me, lib: Lib) -> Response:
    return _profile(request, me, lib)


@router.post("/profile/authors")
def add_author(request: Request, me: Me, lib: Lib, name: Text = "") -> Response:
    try:
        own = service.add_author(lib, me.user, name[:200])
    except PapersiftError as exc:
        return _profile(request, me, lib, 400, error=str(exc), author=name[:200])
    note = f"{name.strip()[:200]}: {own} papers in the library are now yours"
    return _profile(request, me, lib, note=note)


async def _payload(text: str, file: UploadFile | None) -> tuple[bytes, str]:
    if file is not None and file.filename:
        data = await file.read(UPLOAD_LIMIT + 1)
        if len(data) > UPLOAD_LIMIT:
            raise UsageError(f"the file is over {UPLOAD_LIMIT >> 20} MB: ask an admin to add it")
        return data, Path(file.filename.replace("\\", "/")).name
    data = text.encode("utf-8")
    if len(data) > PASTE_LIMIT:
        raise UsageError(f"the paste is over {PASTE_LIMIT >> 20} MB: upload a file instead")
    if not data.strip():
        raise UsageError("paste a listing or choose a file")
    return data, "pasted.txt"


@router.post("/profile/papers")
async def add_papers(
    request: Request, me: Me, lib: Lib, text: Text = "", file: UploadFile | None = None
) -> Response:
    """The papers become the reader's own (private) ones, or point at the library's."""
    try:
        payload, name = await _payload(text, file)
        if file is not None and file.filename:
            note = service.add_papers(lib, me.user, name, payload).summary()
        else:  # ids, URLs and plain abstracts too (papersift.onboarding.read_paste)
            note = service.add_paste(lib, me.user, text)
    except PapersiftError as exc:
        return _profile(request, me, lib, 400, error=str(exc), text=text[:PASTE_LIMIT])
    return _profile(request, me, lib, note=note)


@router.post("/profile/tokens")
def new_token(request: Request, me: Me, lib: Lib, name: Text = "", days: Text = "") -> Response:
    """The new token is in this page only (not in its address: history, logs, Referer)."""
    try:
        lifetime = int(days) if days.strip() else None
        token = Accounts(lib.store()).new_api_token(me.user, name, lifetime)
    except ValueError:
        return _profile(request, me, lib, 400, error="a token lasts a number of days")
    except PapersiftError as exc:
        return _profile(request, me, lib, 400, error=str(exc))
    return _profile(request, me, lib, new_token=token)


@router.post("/profile/tokens/{token_id}/remove")
def remove_token(me: Me, st: St, token_id: int) -> Response:
    service.remove_token(st, me.user, token_id)
    return RedirectResponse("/profile", status_code=303)
