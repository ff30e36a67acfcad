"""`casegen serve`: the workbench in a browser, over the same case files.

The YAML files stay the single source of truth: the views (casegen.web.views) read and write
them through the service, as the command line does, and only turn results into pages. This
module assembles the application: its state, the token gate, the error pages and the routes.
Safety: loopback by default, a token for any other address, a CSRF token on every POST, uploads
limited in size, checked by content and kept in the case's evidence/ folder, no path from a
request outside the served folder, and every error a page in Chinese.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from pathlib import Path
from urllib.parse import quote

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.responses import RedirectResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from casegen.base.errors import UsageError
from casegen.base.terminal import printable
from casegen.service.users import read_users
from casegen.service.workbench import MAX_UPLOAD_BYTES, Refused, photo_cache, same_secret
from casegen.web import views
from casegen.web.views import TOKEN_COOKIE, WEB, Workbench, error_page

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


HOST = re.compile(r"(?:\[(?P<v6>[0-9a-f:.]+)\]|(?P<name>[a-z0-9_.-]+))(?::[0-9]{1,5})?")
ORIGIN = re.compile(r"https?://(?P<authority>[^/?#\\]*)(?:[/?#].*)?", re.S)


def host_name(value: str) -> str | None:
    """The name in a Host header or an origin's authority: without the port, IPv6 unbracketed,
    lower case; None when it is not a host name and port at all (`[::1]evil`, `a:b:c`)."""
    found = HOST.fullmatch(value.strip().lower())
    if found is None:
        return None
    if found["v6"] is not None:
        try:
            ipaddress.IPv6Address(found["v6"])
        except ValueError:
            return None
        return found["v6"]
    return found["name"]


def ascii_host(name: str) -> str:
    """A name as browsers send it in the Host header (工作台.供电所.local as xn--…)."""
    try:
        return name.strip().lower().encode("idna").decode("ascii")
    except UnicodeError:
        return name.strip().lower()


def same_site(url: str, request) -> bool:
    """Whether an Origin or a Referer names this server, exactly as its Host header does."""
    found = ORIGIN.fullmatch(url.strip())
    if found is None:
        return False
    authority = found["authority"]
    return (host_name(authority) in request.app.state.bench.hosts
            and authority.lower() == request.headers.get("host", "").strip().lower())


class HostGuard(BaseHTTPMiddleware):
    """DNS rebinding: a page elsewhere can point its own name at 127.0.0.1 and read the
    workbench from the clerk's browser. Only the names the server was started for are answered
    (as Jupyter and datasette do); and a POST from a page of another origin is refused (the
    CSRF token is the first guard, this the second)."""

    async def dispatch(self, request, call_next):
        allowed = request.app.state.bench.hosts
        given = request.headers.get("host", "")
        host = host_name(given)
        if host not in allowed:
            named = printable(given.strip()[:100]) or "（空）"
            told = (f"不接受主机名 {named} 的请求：工作台只回答启动时指定的地址"
                    "（防止 DNS 重绑定）；需要时用 casegen serve --allow-host 名称")
            return error_page(request, 400, told, shown_folder=False)
        if request.method in UNSAFE_METHODS:
            # the size is known before anything is read: a body without a length (chunked) would be
            # spooled to the disk whole before the form's token is even looked at
            length = request.headers.get("content-length", "")
            if not length.isdigit():
                return error_page(request, 411, "提交须带 Content-Length（不接受分块传输）", shown_folder=False)
            if int(length) > MAX_UPLOAD_BYTES * 2:
                return error_page(request, 413, f"提交的内容过大（上限 {MAX_UPLOAD_BYTES * 2 // 1_000_000} MB）",
                                  shown_folder=False)
            # a browser sends Origin with a form; when it does not, its Referer says the page
            origin, referer = request.headers.get("origin"), request.headers.get("referer")
            if origin is not None and not same_site(origin, request):
                return error_page(request, 403, "提交来自其他网站（Origin 不符），已拒绝", shown_folder=False)
            if origin is None and referer is not None and not same_site(referer, request):
                return error_page(request, 403, "提交来自其他网站（Referer 不符），已拒绝", shown_folder=False)
        return await call_next(request)


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


class SignIn(BaseHTTPMiddleware):
    """With a users file, every page but the sign-in page needs a signed session cookie
    (HttpOnly, SameSite=Strict, 8 hours) whose user is still in the users file with the same
    password and role; the user and the session ride on the request."""

    async def dispatch(self, request, call_next):
        bench = request.app.state.bench
        request.state.user = request.state.session = None
        if bench.users is None:
            return await call_next(request)
        session, why = views.session_of(request)
        if session is not None:
            request.state.user, request.state.session = session.user, session
        if request.url.path in ("/login", "/logout") or request.url.path.startswith("/static/"):
            return await call_next(request)
        if session is None:
            if "application/json" in request.headers.get("accept", "") or request.method != "GET":
                return error_page(request, 401, views.TOLD[why], shown_folder=False)
            return RedirectResponse(f"/login?next={quote(request.url.path)}&told={why}", status_code=303)
        return await call_next(request)


ROUTES = [
    Route("/", views.home),
    Route("/login", views.login_page),
    Route("/login", views.login, methods=["POST"]),
    Route("/logout", views.logout, methods=["POST"]),
    Route("/case/{case:path}/review", views.review, methods=["POST"]),
    Route("/case/{case:path}/history", views.history_page),
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


def create_app(folder: Path, *, token: str | None = None, calendar_file: Path | None = None,
               hosts: set[str] | frozenset[str] = frozenset(), users_file: Path | None = None,
               self_review: bool = False) -> Starlette:
    """The workbench over `folder`; `token` None serves loopback only; `hosts`: the names it
    answers besides localhost, 127.0.0.1 and ::1; `users_file`: sign-in with those users;
    `self_review`: a one-person station, where the submitter may approve."""
    if token is not None and not token:
        raise ValueError("an empty token would let everyone in")
    app = Starlette(routes=ROUTES, middleware=[Middleware(HostGuard), Middleware(TokenGate), Middleware(SignIn)],
                    exception_handlers={Refused: views.refused, HTTPException: views.http_error,
                                        Exception: views.crashed})
    app.state.bench = Workbench(Path(folder), token, secrets.token_urlsafe(24), calendar_file, photo_cache(),
                                frozenset(LOOPBACK | {ascii_host(h) for h in hosts if h.strip()}),
                                users_file=users_file, users=read_users(users_file) if users_file else None,
                                users_read=views.file_identity(users_file) if users_file else (),
                                self_review=self_review)
    return app


def serve(folder: Path, *, host: str = "127.0.0.1", port: int = 8000, token: str | None = None,
          calendar_file: Path | None = None, allow_hosts: list[str] = (), users_file: Path | None = None,
          self_review: bool = False) -> None:
    """Run the workbench until interrupted."""
    if host not in LOOPBACK and not token and users_file is None:
        raise UsageError(f"只在本机（127.0.0.1）上才能不设口令：绑定到 {host} 时请加 --users 用户文件（登录），"
                         "或 --token 口令（--token auto 生成一个）")
    if token == "auto":
        token = secrets.token_urlsafe(16)
    bound = set() if host in ("0.0.0.0", "::") else {host}  # a wildcard bind names no host: --allow-host does
    app = create_app(folder, token=token or None, calendar_file=calendar_file, hosts=bound | set(allow_hosts),
                     users_file=users_file, self_review=self_review)
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    address = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    print(f"casegen 工作台：{address}（{folder}；Ctrl-C 停止）", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
