"""Errors as a web page talks: in the site's layout for browser routes, JSON under /api,
never a traceback, a raw validation dump or a path on the server (issue 13)."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from papersift.web.app import SECURITY_HEADERS, _caller, library, render

log = logging.getLogger(__name__)
#: An absolute file path (two or more parts): shown by its last part only.
_PATH = re.compile(r"(?<![\w.:/])/(?:[\w.\-~]+/)+([\w.\-~]+)")
_TITLES = {
    400: "That did not work",
    401: "Please log in",
    403: "Not allowed",
    404: "Not found",
    405: "Not possible here",
    413: "Too large",
    429: "Too many tries",
}


def without_paths(message: str) -> str:
    """``message`` with every absolute path cut to its file name."""
    return _PATH.sub(r"\1", message)


def error_page(request: Request, message: str, status: int) -> Response:
    """The error in the site's layout (JSON for /api)."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=status)
    try:
        caller = _caller(request, library(request))
    except (HTTPException, RuntimeError):  # a bad token, or no connection (a static file)
        caller = None
    title = _TITLES.get(status, "That did not work" if status < 500 else "Something broke")
    response = render(request, "error.html", caller, message=message, title=title)
    response.status_code = status
    return response


def _field(error: dict[str, Any]) -> str:
    where = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
    what = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    return f"{'.'.join(where) or 'the request'}: {what}"


def add_error_pages(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return await http_exception_handler(request, exc)
        message = exc.detail if exc.status_code != 404 else "There is no page at this address."
        return error_page(request, str(message), exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/api/"):
            return await request_validation_exception_handler(request, exc)
        return error_page(request, "; ".join(_field(e) for e in exc.errors()), 400)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        response = error_page(request, "Something went wrong on the server; it is logged.", 500)
        response.headers.update(SECURITY_HEADERS)  # outside the middleware that adds them
        return response
