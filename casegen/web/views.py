"""The workbench's views: each parses its request, calls the service, and renders a template
from casegen/web/templates (or answers JSON for the page's script). No view holds a rule or
builds a document."""

from __future__ import annotations

import base64
import datetime as dt
import getpass
import hashlib
import hmac
import json
import secrets
import shutil
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import jinja2
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from casegen.base.policy import FindingClass, Product, gate
from casegen.base.terminal import printable
from casegen.case.calendar import WorkCalendar
from casegen.case.reading import CASE_SUFFIXES
from casegen.service import users, workbench
from casegen.service.cases import open_calendar
from casegen.service.summary import summarize
from casegen.service.workbench import MAX_UPLOAD_BYTES, Refused, same_secret
from casegen.web.form import data_from_form, form_html

WEB = Path(__file__).parent
TOKEN_COOKIE = "casegen_token"
SHOWN_CLASSES = (FindingClass.DATA, FindingClass.SCOPE, FindingClass.TARGET, FindingClass.EVIDENCE)
PAGES = jinja2.Environment(loader=jinja2.FileSystemLoader(WEB / "templates"), autoescape=True,
                           undefined=jinja2.StrictUndefined)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass
class ServerState:
    """What the server keeps for its life: the folder, its secrets, and the photo facts (a
    photo is decoded once)."""

    folder: Path
    token: str | None  # None on loopback
    csrf: str
    calendar_file: Path | None = None
    photos: object = None  # the service's photo cache
    hosts: frozenset[str] = frozenset({"127.0.0.1", "localhost", "::1"})  # the Host names answered
    users_file: Path | None = None
    users: dict | None = None  # name → User; None: no sign-in (loopback or token)
    session_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))  # sessions end with the server
    failures: dict = field(default_factory=dict)  # a name or an address → the times of its failed sign-ins
    revoked: set = field(default_factory=set)  # sessions signed out before their time
    users_read: tuple = ()  # the users file's identity (inode, size, time) when it was read
    self_review: bool = False  # a one-person station: an approval may come from the case's submitter

    def current_users(self) -> dict | None:
        """The users, read again when the file changed (a user removed is out at once)."""
        if self.users_file is None:
            return self.users
        try:
            changed = file_identity(self.users_file)
        except OSError:
            return {}  # the file gone: nobody
        if changed != self.users_read:
            self.users, self.users_read = users.read_users(self.users_file), changed
        return self.users

    def case_path(self, relative: str) -> Path:
        """The case file a request names; never a path outside the folder."""
        root = self.folder.resolve()
        try:
            path = (root / relative).resolve()
            inside = root in path.parents and path.suffix in CASE_SUFFIXES
            exists = inside and path.is_file()
        except (OSError, ValueError, RuntimeError):  # a NUL, a name too long, a link loop
            raise Refused(404, "不是本文件夹中的案例文件") from None
        if not inside:
            raise Refused(404, f"不是本文件夹中的案例文件：{relative[:200]}")
        if not exists:
            raise Refused(404, f"案例文件不存在：{relative[:200]}")
        return path

    def inside(self, path: Path) -> bool:
        return workbench.inside(self.folder, path)

    def relative(self, path: Path) -> str:
        return path.resolve().relative_to(self.folder.resolve()).as_posix()

    def calendar(self) -> WorkCalendar:
        return open_calendar([self.folder], self.calendar_file)


def file_identity(path: Path) -> tuple:
    """What tells a rewritten file from the one read before, even within one clock tick
    (`casegen users` replaces the file: a new inode)."""
    status = path.stat()
    return status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns


def state_of(request: Request) -> ServerState:
    return request.app.state.bench


# --- who is asking ----------------------------------------------------------------------------

SESSION_COOKIE = "casegen_session"
LOGIN_COOKIE = "casegen_login"  # the sign-in form's own token, before there is a session
TOLD = {"required": "请先登录", "expired": "登录已过期，请重新登录", "changed": "口令或角色已更改，请重新登录",
        "out": "已退出"}  # the sign-in page's only words
SESSION_SECONDS = 8 * 3600
MAX_FAILURES, FAILURE_WINDOW = 5, 600  # sign-in attempts per name and per address, per 10 minutes


@dataclass(frozen=True)
class Session:
    """A signed-in browser: its user as the users file says now, and the session's own number
    (its CSRF token is derived from it)."""

    user: users.User
    nonce: str
    signature: str


def who(request: Request) -> str:
    """The name the history records: the signed-in user, else this machine's user."""
    user = getattr(request.state, "user", None)
    return user.name if user is not None else f"{getpass.getuser()}（本机，未登录）"


def allowed(request: Request, what: str) -> None:
    """Refuse what the signed-in user's role does not allow (without sign-in, all is allowed)."""
    user = getattr(request.state, "user", None)
    if user is not None and not user.can(what):
        doing = "审核（通过或退回）" if what == users.REVIEW else "修改案例、上传文件或提交审核"
        raise Refused(403, f"{user.name} 的角色是“{user.role}”，不能{doing}")


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


def _too_many(bench: ServerState, keys: list[str]) -> bool:
    now = time.time()
    for key in keys:
        bench.failures[key] = [t for t in bench.failures.get(key, []) if now - t < FAILURE_WINDOW]
    return any(len(bench.failures[key]) >= MAX_FAILURES for key in keys)


async def login_page(request: Request) -> Response:
    if state_of(request).users is None:
        return RedirectResponse("/", status_code=303)
    known = request.cookies.get(LOGIN_COOKIE, "")
    request.state.login_nonce = known or secrets.token_urlsafe(16)
    shown = page(request, "login.html", shown_folder=False, told=TOLD.get(request.query_params.get("told", ""), ""),
                 next=_local(request.query_params.get("next", "/")))
    if not known:
        shown.set_cookie(LOGIN_COOKIE, request.state.login_nonce, httponly=True, samesite="strict")
    return shown


async def login(request: Request) -> Response:
    bench = state_of(request)
    if bench.users is None:
        return RedirectResponse("/", status_code=303)
    form = await form_of(request)
    name, password = str(form.get("name") or "")[:100], str(form.get("password") or "")[:1000]
    keys = [f"name:{name}", f"from:{request.client.host if request.client else ''}"]
    if _too_many(bench, keys):
        return page(request, "login.html", 429, shown_folder=False, next=_local(str(form.get("next") or "/")),
                    told=f"登录失败次数过多，请 {FAILURE_WINDOW // 60} 分钟后再试")
    user = (bench.current_users() or {}).get(name)
    # an unknown name costs the same scrypt as a known one: the time says nothing of who exists
    if not users.password_matches(user or users.nobody(), password) or user is None:
        for key in keys:
            bench.failures.setdefault(key, []).append(time.time())
        return page(request, "login.html", 401, shown_folder=False, next=_local(str(form.get("next") or "/")),
                    told="用户名或口令不对")
    for key in keys:
        bench.failures.pop(key, None)
    response = RedirectResponse(_local(str(form.get("next") or "/")), status_code=303)
    response.set_cookie(SESSION_COOKIE, session_cookie(bench, name), max_age=SESSION_SECONDS, httponly=True,
                        samesite="strict")
    return response


async def logout(request: Request) -> Response:
    session = getattr(request.state, "session", None)
    if session is not None:
        await form_of(request)  # the session's own token: no page elsewhere signs anyone out
        state_of(request).revoked.add(session.signature)
    response = RedirectResponse("/login?told=out", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _local(target: str) -> str:
    """A page of this site to go to after signing in (never another site's)."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def page(request: Request, name: str, code: int = 200, *, shown_folder: bool = True, with_csrf: bool = True,
         **values) -> HTMLResponse:
    bench = state_of(request)
    body = PAGES.get_template(name).render(csrf=csrf_token(request) if with_csrf else "",
                                           folder=str(bench.folder) if shown_folder else "",
                                           user=getattr(request.state, "user", None), **values)
    return HTMLResponse(body, status_code=code)


def error_page(request: Request, status: int, message: str, *, shown_folder: bool = True) -> Response:
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"error": message}, status_code=status)  # for the page's script
    signed_in = getattr(request.state, "user", None) is not None  # an error page needs no token but to sign out
    return page(request, "error.html", status, shown_folder=shown_folder, with_csrf=signed_in or shown_folder,
                status=status, message=message)


async def form_of(request: Request):
    """The posted form, its size limited and its CSRF token checked."""
    if int(request.headers.get("content-length") or 0) > MAX_UPLOAD_BYTES * 2:
        raise Refused(413, f"提交的内容过大（上限 {MAX_UPLOAD_BYTES * 2 // 1_000_000} MB）")
    form = await request.form(max_files=20, max_fields=5000, max_part_size=MAX_UPLOAD_BYTES + 1)
    given = request.headers.get("x-csrf-token") or form.get("csrf") or ""
    expected = csrf_token(request)
    if not expected or not same_secret(given, expected):
        raise Refused(403, "表单已过期或来源不明（CSRF 校验失败）：请刷新页面后重试")
    return form


async def posted_case(request: Request) -> tuple[Path, dict]:
    """The case a POST names, and the data its form holds."""
    path = state_of(request).case_path(request.path_params["case"])
    return path, data_of(await form_of(request))


def data_of(form) -> dict:
    """The case data a posted form holds (its own fields, not the page's tokens)."""
    return data_from_form([(k, v) for k, v in form.multi_items() if isinstance(v, str) and k not in ("csrf", "digest")])


def findings_json(case_file, items) -> dict:
    facts = case_file.facts
    return {
        "findings": [{"path": ".".join(map(str, f.key_path)) if f.key_path else "",
                      "text": f.text, "message": printable(f.message), "class": f.cls.value,
                      "severity": f.severity.value, "rule": f.rule, "clause": f.clause.short, "line": f.line}
                     for f in case_file.findings],
        "days": None if facts is None else {"kind": str(facts.kind), "working": facts.working_days,
                                            "limit": facts.limit_days},
        "stops": [f.text for f in gate(case_file.findings, Product.RENDER)],
        "items": [{"group": i.group, "name": i.name, "status": i.status, "file": i.file,
                   "required": i.required} for i in items],
    }


def modified(path: Path) -> str:
    try:
        return dt.datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    except OSError:
        return ""


def sent_and_removed(path: Path, folder: Path, media_type: str) -> FileResponse:
    """A file in a temporary folder of its own, removed once sent."""
    return FileResponse(path, media_type=media_type, filename=path.name,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))


async def home(request: Request) -> Response:
    bench = state_of(request)
    overview = summarize([bench.folder], calendar_file=bench.calendar_file, workers=1)
    wanted = request.query_params.get("state", "")
    rows = []
    for summary in overview.summaries:
        if not bench.inside(summary.path):
            continue  # a link to a case outside the folder: not this folder's case
        state = workbench.review_state(summary.path)
        if wanted and state != wanted:
            continue
        counts = {cls.value: len(summary.of_class(cls)) for cls in SHOWN_CLASSES}
        rows.append({"summary": summary, "link": quote(bench.relative(summary.path)), "state": state,
                     "counts": counts, "changed": modified(summary.path)})
    return page(request, "home.html", rows=rows, count=len(rows), classes=[c.value for c in SHOWN_CLASSES],
                states=workbench.REVIEW_STATES, wanted=wanted)


async def case_page(request: Request) -> Response:
    relative = request.path_params["case"]
    path = state_of(request).case_path(relative)
    raw_bytes = path.read_bytes()
    data, unloadable = workbench.form_data(path)
    found = workbench.history_of(path)
    user = getattr(request.state, "user", None)
    can = {what: user is None or user.can(what) for what in (users.EDIT, users.REVIEW)}
    return page(request, "case.html", relative=relative, link=quote(relative), form=form_html(data),
                can_edit=can[users.EDIT], can_review=can[users.REVIEW],
                digest=workbench.digest(raw_bytes), files=workbench.evidence_files(path), unloadable=unloadable,
                history=list(reversed(found.entries)), state=found.state, broken=found.broken,
                outside=found.outside, unbound=found.unbound_text(), actions=workbench.REVIEW_ACTIONS,
                alone=workbench.ALONE)


async def history_page(request: Request) -> Response:
    """The case's history as JSON (the page's conflict panel, scripts)."""
    found = workbench.history_of(state_of(request).case_path(request.path_params["case"]))
    return JSONResponse({"state": found.state, "broken": found.broken, "outside": found.outside,
                         "unbound": found.unbound_text(), "entries": [entry_json(e) for e in found.entries]})


def entry_json(entry) -> dict:
    return {"seq": entry.seq, "time": entry.time, "user": entry.user, "action": entry.action,
            "changes": entry.changes, "files": entry.files, "comment": entry.comment, "alone": entry.alone}


async def review(request: Request) -> Response:
    path = state_of(request).case_path(request.path_params["case"])
    form = await form_of(request)
    action = str(form.get("action") or "")
    allowed(request, users.EDIT if action == workbench.REVIEW_ACTIONS[0] else users.REVIEW)
    state = workbench.review(path, who(request), action, str(form.get("comment") or ""),
                             self_review=state_of(request).self_review)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"state": state})
    return RedirectResponse(f"/case/{quote(state_of(request).relative(path))}", status_code=303)


async def check(request: Request) -> Response:
    bench = state_of(request)
    path, data = await posted_case(request)
    case_file, items = workbench.check_form(path, data, bench.calendar(), bench.photos)
    return JSONResponse(findings_json(case_file, items))


async def sketch(request: Request) -> Response:
    path, data = await posted_case(request)
    svg = workbench.sketch_preview(path, data, state_of(request).calendar())
    if svg is None:
        return Response("", status_code=204)
    return Response(svg, media_type="image/svg+xml")


async def save(request: Request) -> Response:
    path = state_of(request).case_path(request.path_params["case"])
    form = await form_of(request)
    allowed(request, users.EDIT)
    new_digest = workbench.save_form(path, data_of(form), str(form.get("digest") or ""), who(request))
    return JSONResponse({"saved": True, "digest": new_digest})


async def upload_file(request: Request) -> Response:
    bench = state_of(request)
    path = bench.case_path(request.path_params["case"])
    form = await form_of(request)
    allowed(request, users.EDIT)
    files = [(item.filename or "file", await item.read()) for _, item in form.multi_items() if hasattr(item, "read")]
    return JSONResponse({"stored": workbench.upload(bench.folder, path, files, who(request)),
                         "files": workbench.evidence_files(path)})


async def download(request: Request) -> Response:
    bench = state_of(request)
    kind = request.path_params["kind"]
    if kind not in ("docx", "pdf"):
        raise Refused(404, "只能下载 .docx 或 .pdf")
    made = workbench.document(bench.case_path(request.path_params["case"]), kind, bench.calendar())
    return sent_and_removed(made, made.parent, "application/pdf" if made.suffix == ".pdf" else DOCX)


async def new_case(request: Request) -> Response:
    bench = state_of(request)
    form = await form_of(request)
    allowed(request, users.EDIT)
    path = workbench.create_case(bench.folder, str(form.get("name") or ""), who(request))
    return RedirectResponse(f"/case/{quote(bench.relative(path))}", status_code=303)


async def workbook(request: Request) -> Response:
    made = workbench.workbook(state_of(request).folder, request.path_params["which"])
    return sent_and_removed(made, made.parent, XLSX)


async def refused(request: Request, exc: Refused) -> Response:
    if exc.since and "application/json" in request.headers.get("accept", ""):
        path = state_of(request).case_path(request.path_params["case"])
        return JSONResponse({"error": exc.message, "since": [entry_json(e) for e in exc.since],
                             "digest": workbench.digest(path.read_bytes())}, status_code=exc.status)
    return error_page(request, exc.status, exc.message)


async def http_error(request: Request, exc: HTTPException) -> Response:
    told = {404: "没有这个页面", 405: "不支持这种请求"}.get(exc.status_code, "请求有误（如上传的文件或字段太多）")
    return error_page(request, exc.status_code, told)


async def gone(request: Request, exc: ClientDisconnect) -> Response:
    """The client went away, or was cut off for sending too slowly: nobody to answer, nothing
    to report."""
    return Response(status_code=400)


async def crashed(request: Request, exc: Exception) -> Response:
    traceback.print_exception(exc)  # for the maintainer, in the terminal; the page stays Chinese
    return error_page(request, 500, "程序内部错误：请把这一页和操作步骤告诉维护人员"
                                    "（详细信息已记录在启动 casegen serve 的终端中）")
