"""The workbench's views: each parses its request, calls the service, and renders a template
from casegen/web/templates (or answers JSON for the page's script). No view holds a rule or
builds a document; who may do what is `auth`'s, checked before a posted body is read."""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
import traceback
from pathlib import Path
from urllib.parse import quote

import jinja2
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from casegen.base.policy import FindingClass, Product, gate
from casegen.base.terminal import printable
from casegen.case.model import said, spoken_path
from casegen.service import users, workbench
from casegen.service.summary import summarize
from casegen.service.workbench import Refused
from casegen.web import auth
from casegen.web.form import data_from_form, form_html
from casegen.web.state import state_of

WEB = Path(__file__).parent
SHOWN_CLASSES = (FindingClass.DATA, FindingClass.SCOPE, FindingClass.TARGET, FindingClass.EVIDENCE)
PAGES = jinja2.Environment(loader=jinja2.FileSystemLoader(WEB / "templates"), autoescape=True,
                           undefined=jinja2.StrictUndefined)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BRAND = "典型案例工作台"


def for_clerk(text: str) -> str:
    """A message as the workbench says it: the tool's name is the workbench's (a clerk never
    needs to know it), every word Chinese."""
    return printable(text).replace("casegen 约定", "本系统约定").replace("casegen", "本系统")


async def login_page(request: Request) -> Response:
    if state_of(request).users is None:
        return RedirectResponse("/", status_code=303)
    known = request.cookies.get(auth.LOGIN_COOKIE, "")
    request.state.login_nonce = known or secrets.token_urlsafe(16)
    told = auth.TOLD.get(request.query_params.get("told", ""), "")
    shown = page(request, "login.html", shown_folder=False, told=told,
                 next=_local(request.query_params.get("next", "/")))
    if not known:
        shown.set_cookie(auth.LOGIN_COOKIE, request.state.login_nonce, httponly=True, samesite="strict")
    return shown


async def login(request: Request) -> Response:
    bench = state_of(request)
    if bench.users is None:
        return RedirectResponse("/", status_code=303)
    form = await auth.form_of(request)
    name, password = str(form.get("name") or "")[:100], str(form.get("password") or "")[:1000]
    cookie, told, status = auth.sign_in(request, name, password)
    if cookie is None:
        return page(request, "login.html", status, shown_folder=False, next=_local(str(form.get("next") or "/")),
                    told=told)
    response = RedirectResponse(_local(str(form.get("next") or "/")), status_code=303)
    response.set_cookie(auth.SESSION_COOKIE, cookie, max_age=auth.SESSION_SECONDS, httponly=True, samesite="strict")
    return response


async def logout(request: Request) -> Response:
    if getattr(request.state, "session", None) is not None:
        await auth.form_of(request)  # the session's own token: no page elsewhere signs anyone out
        auth.sign_out(request)
    response = RedirectResponse("/login?told=out", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE)
    return response


def _local(target: str) -> str:
    """A page of this site to go to after signing in (never another site's)."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def page(request: Request, name: str, code: int = 200, *, shown_folder: bool = True, with_csrf: bool = True,
         **values) -> HTMLResponse:
    bench = state_of(request)
    body = PAGES.get_template(name).render(csrf=auth.csrf_token(request) if with_csrf else "",
                                           folder=str(bench.folder) if shown_folder else "", brand=BRAND,
                                           user=getattr(request.state, "user", None), **values)
    return HTMLResponse(body, status_code=code)


def error_page(request: Request, status: int, message: str, *, shown_folder: bool = True) -> Response:
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"error": for_clerk(message)}, status_code=status)  # for the page's script
    signed_in = getattr(request.state, "user", None) is not None  # an error page needs no token but to sign out
    return page(request, "error.html", status, shown_folder=shown_folder, with_csrf=signed_in or shown_folder,
                status=status, message=for_clerk(message))


async def posted_case(request: Request) -> tuple[Path, dict]:
    """The case a POST names, and the data its form holds."""
    path = state_of(request).case_path(request.path_params["case"])
    return path, data_of(await auth.form_of(request))


def data_of(form) -> dict:
    """The case data a posted form holds (its own fields, not the page's tokens)."""
    return data_from_form([(k, v) for k, v in form.multi_items()
                           if isinstance(v, str) and k not in ("csrf", "digest", "confirmed")])


def finding_json(f) -> dict:
    where = spoken_path(f.key_path) if f.key_path else ""
    return {"path": ".".join(map(str, f.key_path)) if f.key_path else "",
            "where": where, "text": for_clerk(said(f)),
            "message": for_clerk(f.message), "class": f.cls.value, "severity": f.severity.value, "rule": f.rule,
            "clause": for_clerk(f.clause.short), "line": f.line}


def findings_json(case_file, items) -> dict:
    verdict = case_file.verdict
    return {
        "findings": [finding_json(f) for f in case_file.findings],
        "days": {"kind": str(verdict.kind) if verdict.kind else None, "working": verdict.working_days,
                 "calendar": verdict.calendar_days, "limit": verdict.limit_days,
                 "text": verdict.days_text},
        "missing": [spoken_path(f.key_path) if f.key_path else f.message for f in case_file.missing],
        "stops": [finding_json(f)["text"] for f in gate(case_file.findings, Product.RENDER)],
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
        found = workbench.history_of(summary.path)
        state = found.state
        if wanted and state != wanted:
            continue
        counts = {cls.value: len(summary.of_class(cls)) for cls in SHOWN_CLASSES}
        returned = found.sent_back()
        rows.append({"summary": summary, "link": quote(bench.relative(summary.path)), "state": state,
                     "counts": counts, "changed": modified(summary.path), "verdict": summary.verdict,
                     "comment": for_clerk(returned.comment) if returned else ""})
    return page(request, "home.html", rows=rows, count=len(rows), classes=[c.value for c in SHOWN_CLASSES],
                states=workbench.REVIEW_STATES, wanted=wanted)


def _customer(data: dict, path: Path) -> str:
    customer = data.get("customer") if isinstance(data.get("customer"), dict) else {}
    name = customer.get("name") if isinstance(customer, dict) else None
    return name.strip() if isinstance(name, str) and name.strip() else f"{path.parent.name}（新案例，户名未填）"


def history_json(entry) -> dict:
    return {"seq": entry.seq, "time": entry.time.replace("T", " ")[:16], "user": entry.user, "action": entry.action,
            "changes": [list(workbench.readable_change(*change)) for change in entry.changes],
            "files": [f.replace("evidence/", "", 1).replace("SHA-256 ", "校验码 ") for f in entry.files],
            "comment": for_clerk(entry.comment), "alone": entry.alone}


def _case_page(request: Request, path: Path, code: int = 200, *, told: str = "", comment: str = "") -> Response:
    relative = state_of(request).relative(path)
    data, unloadable, digest = workbench.form_data(path)
    found = workbench.history_of(path)
    returned = found.sent_back()
    return page(request, "case.html", code, relative=relative, link=quote(relative), form=form_html(data),
                title=_customer(data, path), can_edit=auth.can(request, users.EDIT),
                can_review=auth.can(request, users.REVIEW), digest=digest, files=workbench.evidence_files(path),
                unloadable=unloadable, history=[history_json(e) for e in reversed(found.entries)],
                state=found.state, returned=history_json(returned) if returned else None, broken=found.broken,
                outside=found.outside, unbound=found.unbound_text(), actions=workbench.REVIEW_ACTIONS,
                alone=for_clerk(workbench.ALONE), told=for_clerk(told), comment=comment,
                done=DONE.get(request.query_params.get("done", ""), ""))


async def case_page(request: Request) -> Response:
    return _case_page(request, state_of(request).case_path(request.path_params["case"]))


async def history_page(request: Request) -> Response:
    """The case's history as JSON (the page's conflict panel, scripts)."""
    found = workbench.history_of(state_of(request).case_path(request.path_params["case"]))
    return JSONResponse({"state": found.state, "broken": found.broken, "outside": found.outside,
                         "unbound": found.unbound_text(), "entries": [entry_json(e) for e in found.entries]})


def entry_json(entry) -> dict:
    return {"seq": entry.seq, "time": entry.time, "user": entry.user, "action": entry.action,
            "changes": entry.changes, "files": entry.files, "comment": entry.comment, "alone": entry.alone,
            "readable": history_json(entry)["changes"]}


DONE = {workbench.REVIEW_ACTIONS[0]: "已提交审核：等待审核人通过或退回。",
        workbench.REVIEW_ACTIONS[1]: "已通过审核。",
        workbench.REVIEW_ACTIONS[2]: "已退回修改，填报人打开案例时会看到你的意见。"}


async def review(request: Request) -> Response:
    bench = state_of(request)
    path = bench.case_path(request.path_params["case"])
    auth.allowed(request, users.EDIT, users.REVIEW)  # before the body: a role that may do neither reads nothing
    form = await auth.form_of(request)
    action = str(form.get("action") or "")
    comment = str(form.get("comment") or "")
    auth.allowed(request, users.EDIT if action == workbench.REVIEW_ACTIONS[0] else users.REVIEW)
    problems = []
    if action == workbench.REVIEW_ACTIONS[1]:
        case_file, _ = workbench.check_file(path, bench.calendar(), bench.photos)
        problems = [for_clerk(said(f)) for f in gate(case_file.findings, Product.CHECK)]
    wants_json = "application/json" in request.headers.get("accept", "")
    try:
        state = workbench.review(path, auth.who(request), action, comment, self_review=bench.self_review,
                                 confirmed=form.get("confirmed") == "1", problems=problems)
    except Refused as refused:
        if wants_json:
            raise
        # the page again, with why and what was typed (never a page whose only link is the list)
        return _case_page(request, path, refused.status, told=refused.message, comment=comment)
    if wants_json:
        return JSONResponse({"state": state, "done": DONE.get(action, "")})
    return RedirectResponse(f"/case/{quote(bench.relative(path))}?done={quote(action)}", status_code=303)


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
    auth.allowed(request, users.EDIT)  # before the body (up to 40 MB) is read
    form = await auth.form_of(request)
    new_digest, state = workbench.save_form(path, data_of(form), str(form.get("digest") or ""), auth.who(request),
                                            confirmed=form.get("confirmed") == "1")
    return JSONResponse({"saved": True, "digest": new_digest, "state": state})


async def upload_file(request: Request) -> Response:
    bench = state_of(request)
    path = bench.case_path(request.path_params["case"])
    auth.allowed(request, users.EDIT)
    form = await auth.form_of(request)
    files = [(item.filename or "file", await item.read()) for _, item in form.multi_items() if hasattr(item, "read")]
    return JSONResponse({"stored": workbench.upload(bench.folder, path, files, auth.who(request)),
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
    auth.allowed(request, users.EDIT)
    form = await auth.form_of(request)
    path = workbench.create_case(bench.folder, str(form.get("name") or ""), auth.who(request))
    return RedirectResponse(f"/case/{quote(bench.relative(path))}", status_code=303)


async def workbook(request: Request) -> Response:
    made = workbench.workbook(state_of(request).folder, request.path_params["which"])
    return sent_and_removed(made, made.parent, XLSX)


async def refused(request: Request, exc: Refused) -> Response:
    if "application/json" in request.headers.get("accept", "") and (exc.since or exc.confirm):
        answer = {"error": for_clerk(exc.message), "confirm": exc.confirm, "problems": exc.problems}
        if exc.since:
            path = state_of(request).case_path(request.path_params["case"])
            answer |= {"since": [entry_json(e) for e in exc.since],
                       "digest": workbench.digest(path.read_bytes())}
        return JSONResponse(answer, status_code=exc.status)
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
                                    "（详细信息已记录在启动工作台的终端中）")
