"""`casegen serve`: the workbench in a browser, over the same case files.

The YAML files stay the single source of truth: the views (casegen.web.views) read and write
them through the service, as the command line does, and only turn results into pages. This
module assembles the application: its state, the gates (the host here; the token and the
sign-in in `auth`), the error pages and the routes.
Safety: loopback by default, a token for any other address, a CSRF token on every POST, uploads
limited in size, checked by content and kept in the case's evidence/ folder, no path from a
request outside the served folder, and every error a page in Chinese. The server itself reads
with deadlines (headers, bodies) and keeps a bounded number of connections, and believes
X-Forwarded-For only from a proxy it was told to trust.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from pathlib import Path

import h11
import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import ClientDisconnect
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from uvicorn.protocols.http.h11_impl import H11Protocol

from casegen.base.errors import UsageError
from casegen.base.terminal import printable
from casegen.service.users import read_users
from casegen.service.workbench import MAX_UPLOAD_BYTES, Refused, photo_cache
from casegen.web import views
from casegen.web.auth import SignIn, TokenGate
from casegen.web.state import ServerState, file_identity
from casegen.web.views import WEB, error_page

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# how long the server waits for a client (a clerk's browser sends a request in milliseconds, and a
# 20 MB photo at 10 kB/s in half an hour; a client trickling bytes to hold a connection is cut off)
HEADER_SECONDS = 10.0  # a request's line and headers, from the connection or the previous answer
KEEP_ALIVE_SECONDS = 5  # an idle connection between two requests (uvicorn's timeout_keep_alive)
BODY_GRACE_SECONDS = 10.0  # a body's start
BODY_MIN_RATE = 10_000  # bytes a second on average after that
BODY_IDLE_SECONDS = 30.0  # and never a pause longer than this
MAX_CONNECTIONS = 100  # open at once; a station has a dozen people, a browser opens six each
FULL = "工作台连接数已满（{limit} 个），请稍后再试".format


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
    app = Starlette(routes=ROUTES, middleware=[Middleware(HostGuard), Middleware(TokenGate, refuse=error_page),
                                               Middleware(SignIn, refuse=error_page)],
                    exception_handlers={Refused: views.refused, HTTPException: views.http_error,
                                        ClientDisconnect: views.gone, Exception: views.crashed})
    app.state.bench = ServerState(Path(folder), token, secrets.token_urlsafe(24), calendar_file, photo_cache(),
                                frozenset(LOOPBACK | {ascii_host(h) for h in hosts if h.strip()}),
                                users_file=users_file, users=read_users(users_file) if users_file else None,
                                users_read=file_identity(users_file) if users_file else (),
                                self_review=self_review)
    return app


class Deadlines(H11Protocol):
    """uvicorn's HTTP/1.1 connection with read deadlines and a cap. uvicorn's own timeout only
    covers the wait between requests (any byte cancels it), and its limit_concurrency looks only
    at requests whose headers are in, answering in English: a client sending a header line, or a
    body's byte, every few seconds held its connection for as long as it liked. Here a request's
    headers must be in within HEADER_SECONDS, and its body must come at BODY_MIN_RATE after
    BODY_GRACE_SECONDS with no pause of BODY_IDLE_SECONDS; else the connection is closed. A
    connection beyond MAX_CONNECTIONS is told so, in Chinese, and closed at once."""

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self.deadline, self.body_started, self.body_read = None, None, 0
        if len(self.connections) > MAX_CONNECTIONS:
            told = FULL(limit=MAX_CONNECTIONS).encode("utf-8")
            transport.write(b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n"
                            b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(told), told))
            transport.close()
            return
        self._arm(HEADER_SECONDS)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            now = self.loop.time()
            if self.body_started is None:
                self.body_started, self.body_read = now, 0
            else:
                self.body_read += len(data)
            due = self.body_started + BODY_GRACE_SECONDS + self.body_read / BODY_MIN_RATE
            self._arm(min(due, now + BODY_IDLE_SECONDS) - now)
        elif state is not h11.IDLE:  # the request is in (or broken): answering is the app's business
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():  # the next request's headers have their deadline too
            self.body_started = None
            self._arm(HEADER_SECONDS)

    def connection_lost(self, exc) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self.armed = self.loop.time()
        self.deadline = self.loop.call_later(max(seconds, 0.0), self._too_slow)

    def _disarm(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _too_slow(self) -> None:
        self.deadline = None
        if self.flow.read_paused:  # the app has not taken what came: the wait is ours, not the client's
            if self.body_started is not None:
                self.body_started += self.loop.time() - self.armed
            self._arm(1.0)
            return
        if not self.transport.is_closing():
            self.transport.close()


def server_options(host: str, port: int, trusted_proxies: list[str] | tuple[str, ...] = ()) -> dict:
    """What uvicorn.run is given: the deadlines and the cap above, and X-Forwarded-For believed
    only from the proxies named (uvicorn believes it from 127.0.0.1 by default: anyone on the
    machine, or any client of a local proxy, could choose the address a sign-in is counted
    against)."""
    proxies = {"proxy_headers": True, "forwarded_allow_ips": list(trusted_proxies)} if trusted_proxies else \
        {"proxy_headers": False}
    return {"host": host, "port": port, "log_level": "warning", "http": Deadlines,
            "timeout_keep_alive": KEEP_ALIVE_SECONDS, **proxies}


def serve(folder: Path, *, host: str = "127.0.0.1", port: int = 8000, token: str | None = None,
          calendar_file: Path | None = None, allow_hosts: list[str] = (), users_file: Path | None = None,
          self_review: bool = False, trusted_proxies: list[str] | tuple[str, ...] = ()) -> None:
    """Run the workbench until interrupted."""
    if host not in LOOPBACK and not token and users_file is None:
        raise UsageError(f"只在本机（127.0.0.1）上才能不设口令：绑定到 {host} 时请加 --users 用户文件（登录），"
                         "或 --token 口令（--token auto 生成一个）")
    for proxy in trusted_proxies:
        try:
            ipaddress.ip_address(proxy)
        except ValueError:
            raise UsageError(f"--trusted-proxy 应为代理服务器的 IP 地址（如 127.0.0.1），实际为 {proxy!r}") from None
    if token == "auto":
        token = secrets.token_urlsafe(16)
    bound = set() if host in ("0.0.0.0", "::") else {host}  # a wildcard bind names no host: --allow-host does
    app = create_app(folder, token=token or None, calendar_file=calendar_file, hosts=bound | set(allow_hosts),
                     users_file=users_file, self_review=self_review)
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    address = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    print(printable(f"casegen 工作台：{address}（{folder}；Ctrl-C 停止）"), flush=True)
    uvicorn.run(app, **server_options(host, port, trusted_proxies))
