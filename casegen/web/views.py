"""The workbench's views: each parses its request, calls the service, and renders a template
from casegen/web/templates (or answers JSON for the page's script). No view holds a rule or
builds a document."""

from __future__ import annotations

import datetime as dt
import shutil
import traceback
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import jinja2
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from casegen.base.errors import clean
from casegen.base.policy import FindingClass, Product, gate
from casegen.case.calendar import WorkCalendar
from casegen.case.reading import CASE_SUFFIXES
from casegen.service import workbench
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
class Workbench:
    """What the server keeps for its life: the folder, its secrets, and the photo facts (a
    photo is decoded once)."""

    folder: Path
    token: str | None  # None on loopback
    csrf: str
    calendar_file: Path | None = None
    photos: object = None  # the service's photo cache

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


def bench_of(request: Request) -> Workbench:
    return request.app.state.bench


def page(request: Request, name: str, code: int = 200, *, shown_folder: bool = True, **values) -> HTMLResponse:
    bench = bench_of(request)
    body = PAGES.get_template(name).render(csrf=bench.csrf, folder=str(bench.folder) if shown_folder else "",
                                           **values)
    return HTMLResponse(body, status_code=code)


def error_page(request: Request, status: int, message: str, *, shown_folder: bool = True) -> Response:
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"error": message}, status_code=status)  # for the page's script
    return page(request, "error.html", status, shown_folder=shown_folder, status=status, message=message)


async def form_of(request: Request):
    """The posted form, its size limited and its CSRF token checked."""
    if int(request.headers.get("content-length") or 0) > MAX_UPLOAD_BYTES * 2:
        raise Refused(413, f"提交的内容过大（上限 {MAX_UPLOAD_BYTES * 2 // 1_000_000} MB）")
    form = await request.form(max_files=20, max_fields=5000, max_part_size=MAX_UPLOAD_BYTES + 1)
    given = request.headers.get("x-csrf-token") or form.get("csrf") or ""
    if not same_secret(given, bench_of(request).csrf):
        raise Refused(403, "表单已过期或来源不明（CSRF 校验失败）：请刷新页面后重试")
    return form


async def posted_case(request: Request) -> tuple[Path, dict]:
    """The case a POST names, and the data its form holds."""
    path = bench_of(request).case_path(request.path_params["case"])
    return path, data_of(await form_of(request))


def data_of(form) -> dict:
    """The case data a posted form holds (its own fields, not the page's tokens)."""
    return data_from_form([(k, v) for k, v in form.multi_items() if isinstance(v, str) and k not in ("csrf", "digest")])


def findings_json(case_file, items) -> dict:
    facts = case_file.facts
    return {
        "findings": [{"path": ".".join(map(str, f.key_path)) if f.key_path else "",
                      "text": f.text, "message": clean(f.message), "class": f.cls.value,
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
    bench = bench_of(request)
    overview = summarize([bench.folder], calendar_file=bench.calendar_file, workers=1)
    rows = []
    for summary in overview.summaries:
        if not bench.inside(summary.path):
            continue  # a link to a case outside the folder: not this folder's case
        counts = {cls.value: len(summary.of_class(cls)) for cls in SHOWN_CLASSES}
        rows.append({"summary": summary, "link": quote(bench.relative(summary.path)),
                     "counts": counts, "changed": modified(summary.path)})
    return page(request, "home.html", rows=rows, count=len(rows), classes=[c.value for c in SHOWN_CLASSES])


async def case_page(request: Request) -> Response:
    relative = request.path_params["case"]
    path = bench_of(request).case_path(relative)
    raw_bytes = path.read_bytes()
    data, unloadable = workbench.form_data(path)
    return page(request, "case.html", relative=relative, link=quote(relative), form=form_html(data),
                digest=workbench.digest(raw_bytes), files=workbench.evidence_files(path), unloadable=unloadable)


async def check(request: Request) -> Response:
    bench = bench_of(request)
    path, data = await posted_case(request)
    case_file, items = workbench.check_form(path, data, bench.calendar(), bench.photos)
    return JSONResponse(findings_json(case_file, items))


async def sketch(request: Request) -> Response:
    path, data = await posted_case(request)
    svg = workbench.sketch_preview(path, data, bench_of(request).calendar())
    if svg is None:
        return Response("", status_code=204)
    return Response(svg, media_type="image/svg+xml")


async def save(request: Request) -> Response:
    path = bench_of(request).case_path(request.path_params["case"])
    form = await form_of(request)
    new_digest = workbench.save_form(path, data_of(form), str(form.get("digest") or ""))
    return JSONResponse({"saved": True, "digest": new_digest})


async def upload_file(request: Request) -> Response:
    bench = bench_of(request)
    path = bench.case_path(request.path_params["case"])
    form = await form_of(request)
    files = [(item.filename or "file", await item.read()) for _, item in form.multi_items() if hasattr(item, "read")]
    return JSONResponse({"stored": workbench.upload(bench.folder, path, files),
                         "files": workbench.evidence_files(path)})


async def download(request: Request) -> Response:
    bench = bench_of(request)
    kind = request.path_params["kind"]
    if kind not in ("docx", "pdf"):
        raise Refused(404, "只能下载 .docx 或 .pdf")
    made = workbench.document(bench.case_path(request.path_params["case"]), kind, bench.calendar())
    return sent_and_removed(made, made.parent, "application/pdf" if made.suffix == ".pdf" else DOCX)


async def new_case(request: Request) -> Response:
    bench = bench_of(request)
    form = await form_of(request)
    path = workbench.create_case(bench.folder, str(form.get("name") or ""))
    return RedirectResponse(f"/case/{quote(bench.relative(path))}", status_code=303)


async def workbook(request: Request) -> Response:
    made = workbench.workbook(bench_of(request).folder, request.path_params["which"])
    return sent_and_removed(made, made.parent, XLSX)


async def refused(request: Request, exc: Refused) -> Response:
    return error_page(request, exc.status, exc.message)


async def http_error(request: Request, exc: HTTPException) -> Response:
    told = {404: "没有这个页面", 405: "不支持这种请求"}.get(exc.status_code, "请求有误（如上传的文件或字段太多）")
    return error_page(request, exc.status_code, told)


async def crashed(request: Request, exc: Exception) -> Response:
    traceback.print_exception(exc)  # for the maintainer, in the terminal; the page stays Chinese
    return error_page(request, 500, "程序内部错误：请把这一页和操作步骤告诉维护人员"
                                    "（详细信息已记录在启动 casegen serve 的终端中）")
