"""`casegen serve`: the workbench in a browser, over the same case files.

The YAML files stay the single source of truth: the views (casegen.web.views) read and write
them through the service, as the command line does, and only turn results into pages. This
module assembles the application: its state, the token gate, the error pages and the routes.
Safety: loopback by default, a token for any other address, a CSRF token on every POST, uploads
limited in size, checked by content and kept in the case's evidence/ folder, no path from a
request outside the served folder, and every error a page in Chinese.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from casegen.base.errors import UsageError
from casegen.service.workbench import Refused, photo_cache, same_secret
from casegen.web import views
from casegen.web.views import TOKEN_COOKIE, WEB, Workbench, error_page

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class TokenGate(BaseHTTPMiddleware):
    """With a token, every request must carry it (in the address once, then in a cookie)."""

    async def dispatch(self, request, call_next):
        bench = request.app.state.bench
        if bench.token is None:
            return await call_next(request)
        given = request.query_params.get("token") or request.cookies.get(TOKEN_COOKIE) or ""
        if not same_secret(given, bench.token):
            return error_page(request, 403, "需要访问口令：请使用启动时显示的完整地址（带 ?token=…）",
                              shown_folder=False)
        response = await call_next(request)
        response.set_cookie(TOKEN_COOKIE, bench.token, httponly=True, samesite="strict")
        return response


ROUTES = [
    Route("/", views.home),
    Route("/new", views.new_case, methods=["POST"]),
    Route("/workbook/{which}.xlsx", views.workbook),
    Route("/case/{case:path}/check", views.check, methods=["POST"]),
    Route("/case/{case:path}/sketch", views.sketch, methods=["POST"]),
    Route("/case/{case:path}/save", views.save, methods=["POST"]),
    Route("/case/{case:path}/upload", views.upload_file, methods=["POST"]),
    Route("/case/{case:path}/document.{kind:str}", views.download),
    Route("/case/{case:path}", views.case_page),
    Mount("/static", StaticFiles(directory=WEB / "static"), name="static"),
]


def create_app(folder: Path, *, token: str | None = None, calendar_file: Path | None = None) -> Starlette:
    """The workbench over `folder`; `token` None serves loopback only."""
    if token is not None and not token:
        raise ValueError("an empty token would let everyone in")
    app = Starlette(routes=ROUTES, middleware=[Middleware(TokenGate)],
                    exception_handlers={Refused: views.refused, HTTPException: views.http_error,
                                        Exception: views.crashed})
    app.state.bench = Workbench(Path(folder), token, secrets.token_urlsafe(24), calendar_file, photo_cache())
    return app


def serve(folder: Path, *, host: str = "127.0.0.1", port: int = 8000, token: str | None = None,
          calendar_file: Path | None = None) -> None:
    """Run the workbench until interrupted."""
    if host not in LOOPBACK and not token:
        raise UsageError(f"只在本机（127.0.0.1）上才能不设口令：绑定到 {host} 时请加 --token 口令，"
                         "或 --token auto 生成一个")
    if token == "auto":
        token = secrets.token_urlsafe(16)
    app = create_app(folder, token=token if host not in LOOPBACK or token else None, calendar_file=calendar_file)
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    address = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    print(f"casegen 工作台：{address}（{folder}；Ctrl-C 停止）", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
