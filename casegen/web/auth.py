"""Who is asking, and whether they may: the access token, signed sessions, the CSRF token of each
form, the throttling of sign-ins, and the role each action needs (checked before a posted body
is read). Views and the application ask this module; nothing else keeps a secret."""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from urllib.parse import quote

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from casegen.service import users
from casegen.service.workbench import MAX_UPLOAD_BYTES, Refused, same_secret
from casegen.web.state import ServerState, state_of

TOKEN_COOKIE = "casegen_token"
SESSION_COOKIE = "casegen_session"
LOGIN_COOKIE = "casegen_login"  # the sign-in form's own token, before there is a session
TOLD = {"required": "请先登录", "expired": "登录已过期，请重新登录", "changed": "口令或角色已更改，请重新登录",
        "out": "已退出"}  # the sign-in page's only words
SESSION_SECONDS = 8 * 3600
MAX_FAILURES, FAILURE_WINDOW = 5, 600  # sign-in attempts per name and per address, per 10 minutes
MAX_BODY = MAX_UPLOAD_BYTES * 2


@dataclass(frozen=True)
class Session:
    """A signed-in browser: its user as the users file says now, and the session's own number
    (its CSRF token is derived from it)."""

    user: users.User
    nonce: str
    signature: str


# --- who ----------------------------------------------------------------------------------------

def who(request: Request) -> str:
    """The name the history records: the signed-in user, else this machine's user."""
    user = getattr(request.state, "user", None)
    return user.name if user is not None else f"{getpass.getuser()}（本机，未登录）"


def can(request: Request, what: str) -> bool:
    user = getattr(request.state, "user", None)
    return user is None or user.can(what)


def allowed(request: Request, *what: str) -> None:
    """Refuse what the signed-in user's role does not allow (any of `what`; without sign-in, all
    is allowed). Called before a posted body is read: a role that may not post reads nothing."""
    user = getattr(request.state, "user", None)
    if user is not None and not any(user.can(one) for one in what):
        doing = "审核（通过或退回）" if what == (users.REVIEW,) else "修改案例、上传文件或提交审核"
        raise Refused(403, f"{user.name} 的角色是“{user.role}”，不能{doing}")


# --- sessions -------------------------------------------------------------------------------------

def _signature(bench: ServerState, body: str) -> str:
    return hmac.new(bench.session_key, body.encode(), hashlib.sha256).hexdigest()


def session_cookie(bench: ServerState, name: str) -> str:
    """A session of the user `name` as the users file holds him now (his version: a new
    password or role ends it)."""
    user = (bench.current_users() or {})[name]
    body = json.dumps([name, int(time.time()) + SESSION_SECONDS, user.version, secrets.token_urlsafe(16)])
    body = base64.urlsafe_b64encode(body.encode()).decode()
    return f"{body}.{_signature(bench, body)}"


def session_of(request: Request) -> tuple[Session | None, str]:
    """The request's session, or None and why not (a key of TOLD): checked on every request
    against the users file as it is now."""
    bench = state_of(request)
    body, _, signature = request.cookies.get(SESSION_COOKIE, "").partition(".")
    if not body or signature in bench.revoked or not same_secret(signature, _signature(bench, body)):
        return None, "required"
    try:
        name, expires, version, nonce = json.loads(base64.urlsafe_b64decode(body.encode()))
    except (ValueError, TypeError):
        return None, "required"
    if expires < time.time():
        return None, "expired"
    user = (bench.current_users() or {}).get(name)
    if user is None:
        return None, "required"  # removed
    if not same_secret(version, user.version):
        return None, "changed"
    return Session(user, str(nonce), signature), ""


def sign_in(request: Request, name: str, password: str) -> tuple[str | None, str, int]:
    """A session cookie for a right name and password, or None, the reason and its status:
    wrong (401) or too many failures from this name or address (429)."""
    bench = state_of(request)
    keys = [f"name:{name}", f"from:{request.client.host if request.client else ''}"]
    if _too_many(bench, keys):
        return None, f"登录失败次数过多，请 {FAILURE_WINDOW // 60} 分钟后再试", 429
    user = (bench.current_users() or {}).get(name)
    # an unknown name costs the same scrypt as a known one: the time says nothing of who exists
    if not users.password_matches(user or users.nobody(), password) or user is None:
        for key in keys:
            bench.failures.setdefault(key, []).append(time.time())
        return None, "用户名或口令不对", 401
    for key in keys:
        bench.failures.pop(key, None)
    return session_cookie(bench, name), "", 200


def sign_out(request: Request) -> None:
    session = getattr(request.state, "session", None)
    if session is not None:
        state_of(request).revoked.add(session.signature)


def _too_many(bench: ServerState, keys: list[str]) -> bool:
    now = time.time()
    for key in keys:
        bench.failures[key] = [t for t in bench.failures.get(key, []) if now - t < FAILURE_WINDOW]
    return any(len(bench.failures[key]) >= MAX_FAILURES for key in keys)


# --- forms ----------------------------------------------------------------------------------------

def csrf_token(request: Request) -> str:
    """The token a form of this page sends back: the session's own when signed in, the sign-in
    form's own (bound to this browser's cookie) before that; without sign-in (one person's
    machine, or whoever holds the access token), the server's."""
    bench = state_of(request)
    if bench.users is None:
        return bench.csrf
    session = getattr(request.state, "session", None)
    if session is not None:
        return _signature(bench, f"csrf\0{session.nonce}")
    login = getattr(request.state, "login_nonce", "") or request.cookies.get(LOGIN_COOKIE, "")
    return _signature(bench, f"login\0{login}") if login else ""


async def form_of(request: Request):
    """The posted form, its size limited and its CSRF token checked."""
    if int(request.headers.get("content-length") or 0) > MAX_BODY:
        raise Refused(413, f"提交的内容过大（上限 {MAX_BODY // 1_000_000} MB）")
    form = await request.form(max_files=20, max_fields=5000, max_part_size=MAX_UPLOAD_BYTES + 1)
    given = request.headers.get("x-csrf-token") or form.get("csrf") or ""
    expected = csrf_token(request)
    if not expected or not same_secret(given, expected):
        raise Refused(403, "表单已过期或来源不明（防跨站校验失败）：请刷新页面后重试")
    return form


# --- the gates every request passes -----------------------------------------------------------------

class _Gate(BaseHTTPMiddleware):
    """A gate that answers a refusal with the face's own error page (`refuse`)."""

    def __init__(self, app, refuse) -> None:
        super().__init__(app)
        self.refuse = refuse


class TokenGate(_Gate):
    """With a token, every request must carry it (in the address once, then in a cookie)."""

    async def dispatch(self, request, call_next):
        bench = request.app.state.bench
        if bench.token is None:
            return await call_next(request)
        given = request.query_params.get("token") or request.cookies.get(TOKEN_COOKIE) or ""
        if not same_secret(given, bench.token):
            return self.refuse(request, 403, "需要访问口令：请使用启动时显示的完整地址（带 ?token=…）",
                               shown_folder=False)
        response = await call_next(request)
        response.set_cookie(TOKEN_COOKIE, bench.token, httponly=True, samesite="strict")
        return response


class SignIn(_Gate):
    """With a users file, every page but the sign-in page needs a signed session cookie
    (HttpOnly, SameSite=Strict, 8 hours) whose user is still in the users file with the same
    password and role; the user and the session ride on the request."""

    async def dispatch(self, request, call_next) -> Response:
        bench = request.app.state.bench
        request.state.user = request.state.session = None
        if bench.users is None:
            return await call_next(request)
        session, why = session_of(request)
        if session is not None:
            request.state.user, request.state.session = session.user, session
        if request.url.path in ("/login", "/logout") or request.url.path.startswith("/static/"):
            return await call_next(request)
        if session is None:
            if "application/json" in request.headers.get("accept", "") or request.method != "GET":
                return self.refuse(request, 401, TOLD[why], shown_folder=False)
            return RedirectResponse(f"/login?next={quote(request.url.path)}&told={why}", status_code=303)
        return await call_next(request)
