"""`casegen serve`: the workbench in a browser, over the same case files.

The YAML files stay the single source of truth: the handlers read and write them through the
same functions as the command line (service.summarize, pipeline.prepare, build.render_one,
sketch, ledger) and only turn results into pages. Safety: loopback by default, a token for any
other address, a CSRF token on every POST, uploads limited in size, checked by content and kept
in the case's evidence/ folder, no path from a request outside the served folder, and every
error a page in Chinese.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
import shutil
import tempfile
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from casegen.base.policy import FindingClass

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_UPLOAD_BYTES = 20_000_000
UPLOAD_SUFFIXES = {".pdf", ".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".doc", ".docx",
                   ".xls", ".xlsx"}
WEB = Path(__file__).parent
TOKEN_COOKIE = "casegen_token"
SHOWN_CLASSES = (FindingClass.DATA, FindingClass.SCOPE, FindingClass.TARGET, FindingClass.EVIDENCE)


class Refused(Exception):
    """A request casegen will not do, with the Chinese reason and the HTTP status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Workbench:
    folder: Path
    token: str | None  # None on loopback
    csrf: str
    calendar_file: Path | None = None
    photos: object = None  # files.PhotoCache, kept for the server's life: a photo is decoded once

    # --- paths from requests never leave the folder --------------------------------------

    def case_path(self, relative: str) -> Path:
        from casegen.case.reading import CASE_SUFFIXES

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
        """Whether `path`, links followed, stays in the served folder."""
        try:
            root = self.folder.resolve()
            real = path.resolve()
        except (OSError, RuntimeError):
            return False
        return real == root or root in real.parents

    def relative(self, path: Path) -> str:
        return path.resolve().relative_to(self.folder.resolve()).as_posix()

    def calendar(self):
        from casegen.service.build import open_calendar

        return open_calendar([self.folder], self.calendar_file)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def same_secret(given, expected: str) -> bool:
    """Constant-time comparison of any text a request carries (compare_digest refuses non-ASCII
    str: that must be a 403, not a crash)."""
    return hmac.compare_digest(str(given).encode("utf-8", "replace"), expected.encode("utf-8"))


# --- what the handlers compute (no HTML here) ----------------------------------------------------

def form_text(pairs) -> str:
    """The YAML text of a submitted form (for checking it before it is saved)."""
    import yaml

    from casegen.web.form import data_from_form

    return yaml.safe_dump(data_from_form(pairs), allow_unicode=True, sort_keys=False)


def findings_json(case_file, items) -> dict:
    from casegen.base.errors import clean
    from casegen.base.policy import Product, gate

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


def check_form(bench: Workbench, path: Path, pairs):
    """The case as the form holds it now: its findings, its evidence checklist, the photos'
    times against its timeline and its callback (as `check` says them; the cross-case checks
    need the whole folder and stay with `check`)."""
    from casegen.case.reading import prepare
    from casegen.service.build import audit_case

    case_file = prepare(path, bench.calendar(), text=form_text(pairs))
    items = []
    if case_file.case is not None:
        items, audited = audit_case(case_file, bench.photos)
        case_file.findings.extend(audited)
    return case_file, items


def sketch_svg(case_file) -> str:
    """The sketch as SVG; drawn again only when what it is drawn from changed (most typing is
    in other fields)."""
    from casegen.outputs.sketch import SketchInput
    from casegen.service.build import customer_name

    drawing = SketchInput.from_case(case_file.case) if case_file.case is not None else \
        SketchInput.from_data(case_file.raw.data, customer_name(case_file))
    key = repr(drawing)
    if key not in _SKETCHES:
        _SKETCHES[key] = _drawn(drawing)
        while len(_SKETCHES) > 32:
            _SKETCHES.popitem(last=False)
    _SKETCHES.move_to_end(key)
    return _SKETCHES[key]


_SKETCHES: OrderedDict[str, str] = OrderedDict()  # the last sketches drawn, by what they show


def _drawn(drawing) -> str:
    import matplotlib

    from casegen.outputs.sketch import draw_figure

    buffer = io.StringIO()
    # text as text: the browser sets it in the page's CJK font, and the preview is drawn in
    # half the time of glyphs turned into paths
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "casegen"}):
        draw_figure(drawing).savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def save_form(path: Path, pairs, opened_digest: str) -> str:
    """Write the form into the case file: comments and key order kept (ruamel.yaml round
    trip), atomically; refused when the file changed on disk since the page was opened.
    Returns the new digest."""
    from ruamel.yaml import YAML

    from casegen.base.errors import CaseError
    from casegen.base.writing import write_text
    from casegen.case.model import Case
    from casegen.case.reading import read_raw
    from casegen.web.form import data_from_form

    current = path.read_bytes()
    if not same_secret(opened_digest, digest(current)):
        raise Refused(409, "文件在你打开之后被改过（可能是别人或另一个窗口）：为免覆盖，没有保存。"
                           "请复制你的修改，刷新页面后再改。")
    try:
        read_raw(path)  # anything the loader refuses could not be shown in the form: never saved over
    except CaseError as e:
        told = "；".join(f.in_file for f in e.findings[:3])
        raise Refused(422, f"这个文件有格式问题，工作台不能完整显示它，为免丢失内容不在这里保存：{told}。"
                           "请先用文本编辑器改正。") from None
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)  # "  - item", as casegen new and the examples write
    try:
        document = yaml.load(current.decode("utf-8-sig"))
    except Exception:  # ruamel's many kinds of error: one refusal, in Chinese
        raise Refused(422, "这个文件的 YAML 格式工作台无法保留，为免丢失内容不在这里保存："
                           "请先用文本编辑器改正。") from None
    if not isinstance(document, dict):
        raise Refused(422, "这个文件最外层不是“键: 值”形式，不在工作台保存：请先用文本编辑器改正。")
    merged = _merge(document, data_from_form(pairs), Case)
    buffer = io.StringIO()
    yaml.dump(merged, buffer)
    write_text(path, buffer.getvalue())
    return digest(path.read_bytes())


def _merge(target, new, model=None):
    """`new` written into the loaded document: values replaced in place, keys the form left
    empty kept but emptied (their comments stay), new keys added at the end. Keys the contract
    does not know (the form cannot show them) are left exactly as they are."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    from casegen.case.model import submodel

    if isinstance(new, dict) and isinstance(target, CommentedMap) and model is not None:
        fields = model.model_fields
        for key in list(target):
            if key in fields and key not in new and not _empty(target[key]):
                target[key] = None
        for key, value in new.items():
            child = submodel(fields[key].annotation) if key in fields else None
            target[key] = _merge(target[key], value, child) if key in target else _styled(value, target)
        return target
    if isinstance(new, list) and isinstance(target, CommentedSeq):
        flow = target.fa.flow_style()
        for index, value in enumerate(new):
            if index < len(target):
                target[index] = _merge(target[index], value, model)
            else:
                target.append(_styled(value, target))
        del target[len(new):]
        if flow:
            target.fa.set_flow_style()
        return target
    if isinstance(new, bool):
        if type(target).__name__ in ("bool", "ScalarBoolean") and bool(target) is new:
            return target  # False stays False, not false
    elif not isinstance(new, dict | list) and target == new:
        return target  # the same value: kept as the file writes it (0.40 stays 0.40)
    return _styled(new, None)


def _empty(value) -> bool:
    return value is None or (isinstance(value, list | dict | str) and not value)


def _styled(value, sibling):
    """A new value in the file's style: date ranges and short lists inline."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, list):
        seq = CommentedSeq(_styled(v, None) for v in value)
        if all(not isinstance(v, dict | list) for v in value):
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, dict):
        mapping = CommentedMap((k, _styled(v, None)) for k, v in value.items())
        if all(not isinstance(v, dict) for v in value.values()) and isinstance(sibling, CommentedSeq):
            mapping.fa.set_flow_style()
        return mapping
    return value


def upload(bench: Workbench, path: Path, files: list[tuple[str, bytes]]) -> list[str]:
    """Keep uploaded files in the case's evidence/ folder, all checked before any is written and
    none over an existing file; returns their paths as the case file writes them (evidence/…)."""
    from casegen.base.writing import write_bytes

    folder = path.parent / "evidence"
    if folder.exists() and not folder.is_dir():
        raise Refused(409, "evidence 不是文件夹：请先把同名的文件改名")
    if not bench.inside(folder):
        raise Refused(403, "evidence 文件夹指向案例文件夹之外：不在这里存放上传的文件")
    names = [_checked_upload(name, data) for name, data in files]
    stored = []
    for name, (_, data) in zip(names, files, strict=True):
        target = _free_name(folder, name)
        write_bytes(target, data)
        stored.append(f"evidence/{target.name}")
    return stored


def _free_name(folder: Path, name: str) -> Path:
    """The name, or name_2, name_3 …: an upload never replaces evidence already there."""
    stem, suffix = Path(name).stem, Path(name).suffix
    target, number = folder / name, 2
    while target.exists() or target.is_symlink():
        target, number = folder / f"{stem}_{number}{suffix}", number + 1
    return target


def _checked_upload(name: str, data: bytes) -> str:
    """The safe file name of an acceptable upload, or a refusal saying why."""
    from casegen.base.writing import safe_name
    from casegen.checks.files import _MAGIC

    if len(data) > MAX_UPLOAD_BYTES:
        raise Refused(413, f"文件过大（上限 {MAX_UPLOAD_BYTES // 1_000_000} MB）：{name}")
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise Refused(415, f"不接受这种文件（{suffix or '无扩展名'}）：只接受 PDF、图片、Word、Excel")
    magic = _MAGIC.get(suffix)
    if not data or (magic and not data.startswith(magic)):
        raise Refused(415, f"文件内容与扩展名 {suffix} 不符：{name}")
    return f"{safe_name(Path(name).stem.replace('..', '_'), 100)}{suffix}"


def evidence_files(path: Path) -> list[str]:
    folder = path.parent / "evidence"
    if not folder.is_dir():
        return []
    return sorted(f"evidence/{p.name}" for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


# --- the web application ------------------------------------------------------------------------

def create_app(folder: Path, *, token: str | None = None, calendar_file: Path | None = None):
    import jinja2
    from starlette.applications import Starlette
    from starlette.background import BackgroundTask
    from starlette.exceptions import HTTPException
    from starlette.middleware import Middleware
    from starlette.middleware.base import BaseHTTPMiddleware
    from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    if token is not None and not token:
        raise ValueError("an empty token would let everyone in")
    from casegen.checks.files import PhotoCache

    bench = Workbench(Path(folder), token, secrets.token_urlsafe(24), calendar_file, PhotoCache(None))
    pages = jinja2.Environment(loader=jinja2.FileSystemLoader(WEB / "templates"), autoescape=True,
                               undefined=jinja2.StrictUndefined)

    def page(name: str, code: int = 200, *, shown_folder: bool = True, **values) -> HTMLResponse:
        body = pages.get_template(name).render(csrf=bench.csrf, folder=str(bench.folder) if shown_folder else "",
                                               **values)
        return HTMLResponse(body, status_code=code)

    def error_page(status: int, message: str, request=None, *, shown_folder: bool = True):
        if request is not None and "application/json" in request.headers.get("accept", ""):
            return JSONResponse({"error": message}, status_code=status)  # for the page's script
        return page("error.html", status, shown_folder=shown_folder, status=status, message=message)

    class TokenGate(BaseHTTPMiddleware):
        async def dispatch(self, request, call_next):
            if bench.token is not None:
                given = request.query_params.get("token") or request.cookies.get(TOKEN_COOKIE) or ""
                if not same_secret(given, bench.token):
                    return error_page(403, "需要访问口令：请使用启动时显示的完整地址（带 ?token=…）",
                                      shown_folder=False)
                response = await call_next(request)
                response.set_cookie(TOKEN_COOKIE, bench.token, httponly=True, samesite="strict")
                return response
            return await call_next(request)

    async def form_of(request):
        if int(request.headers.get("content-length") or 0) > MAX_UPLOAD_BYTES * 2:
            raise Refused(413, f"提交的内容过大（上限 {MAX_UPLOAD_BYTES * 2 // 1_000_000} MB）")
        form = await request.form(max_files=20, max_fields=5000, max_part_size=MAX_UPLOAD_BYTES + 1)
        given = request.headers.get("x-csrf-token") or form.get("csrf") or ""
        if not same_secret(given, bench.csrf):
            raise Refused(403, "表单已过期或来源不明（CSRF 校验失败）：请刷新页面后重试")
        return form

    def pairs_of(form) -> list[tuple[str, str]]:
        return [(k, v) for k, v in form.multi_items() if isinstance(v, str) and k not in ("csrf", "digest")]

    async def home(request):
        from casegen.service.summary import summarize

        overview = summarize([bench.folder], calendar_file=bench.calendar_file, workers=1)
        rows = []
        for summary in overview.summaries:
            if not bench.inside(summary.path):
                continue  # a link to a case outside the folder: not this folder's case
            counts = {cls.value: len(summary.of_class(cls)) for cls in SHOWN_CLASSES}
            rows.append({"summary": summary, "link": quote(bench.relative(summary.path)),
                         "counts": counts, "changed": _mtime(summary.path)})
        return page("home.html", rows=rows, count=len(rows), classes=[c.value for c in SHOWN_CLASSES])

    async def case_page(request):
        from casegen.base.errors import CaseError
        from casegen.case.reading import read_raw
        from casegen.web.form import form_html

        relative = request.path_params["case"]
        path = bench.case_path(relative)
        raw_bytes = path.read_bytes()
        unloadable = ""
        try:
            data = read_raw(path).data
        except CaseError as e:  # the form could not show it: said, and saving is refused
            data = {}
            unloadable = "；".join(f.in_file for f in e.findings[:5])
        return page("case.html", relative=relative, link=quote(relative), form=form_html(data),
                    digest=digest(raw_bytes), files=evidence_files(path), unloadable=unloadable)

    async def check(request):
        path = bench.case_path(request.path_params["case"])
        case_file, items = check_form(bench, path, pairs_of(await form_of(request)))
        return JSONResponse(findings_json(case_file, items))

    async def sketch(request):
        from casegen.base.policy import Product
        from casegen.case.reading import prepare

        path = bench.case_path(request.path_params["case"])
        case_file = prepare(path, bench.calendar(), text=form_text(pairs_of(await form_of(request))))
        if case_file.stopped(Product.DRAW):
            return Response("", status_code=204)
        return Response(sketch_svg(case_file), media_type="image/svg+xml")

    async def save(request):
        path = bench.case_path(request.path_params["case"])
        form = await form_of(request)
        new_digest = save_form(path, pairs_of(form), str(form.get("digest") or ""))
        return JSONResponse({"saved": True, "digest": new_digest})

    async def upload_file(request):
        path = bench.case_path(request.path_params["case"])
        form = await form_of(request)
        files = [(item.filename or "file", await item.read()) for _, item in form.multi_items()
                 if hasattr(item, "read")]
        return JSONResponse({"stored": upload(bench, path, files), "files": evidence_files(path)})

    async def download(request):
        from starlette.responses import FileResponse

        from casegen.base.policy import Product
        from casegen.case.reading import prepare
        from casegen.outputs.workbooks import ToolMissing, to_pdf
        from casegen.service.build import output_stems, render_one

        if request.path_params["kind"] not in ("docx", "pdf"):
            raise Refused(404, "只能下载 .docx 或 .pdf")
        path = bench.case_path(request.path_params["case"])
        case_file = prepare(path, bench.calendar())
        stops = case_file.stopped(Product.RENDER)
        if stops:
            raise Refused(422, "数据有错误或超出适用范围，不生成文档：" + "；".join(f.text for f in stops[:5]))
        out = Path(tempfile.mkdtemp(prefix="casegen-serve-"))
        stem = output_stems([case_file])[0]
        document = render_one(case_file, out, stem).outputs[0]
        if request.path_params["kind"] == "pdf":
            try:
                document = to_pdf(document, document.with_suffix(".pdf"))
            except ToolMissing as e:
                raise Refused(501, str(e)) from None
        media = "application/pdf" if document.suffix == ".pdf" else \
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        return FileResponse(document, media_type=media, filename=document.name,
                            background=BackgroundTask(shutil.rmtree, out, ignore_errors=True))

    async def new_case(request):
        from casegen.base.writing import safe_name
        from casegen.case.scaffold import new_case as scaffold_case

        form = await form_of(request)
        name = safe_name(str(form.get("name") or "").strip().replace("..", "_"), 100)
        if not str(form.get("name") or "").strip():
            raise Refused(400, "请填写新案例的文件夹名称（如客户简称）")
        path = bench.folder / name / "case.yaml"
        if (bench.folder / name).is_symlink() or not bench.inside(path.parent.parent):
            raise Refused(403, f"不能在这里新建：{name}")
        if (bench.folder / name).exists():
            raise Refused(409, f"已有同名案例：{name}")
        try:
            scaffold_case(path)
        except FileExistsError:
            raise Refused(409, f"已有同名案例：{name}") from None
        return RedirectResponse(f"/case/{quote(bench.relative(path))}", status_code=303)

    async def workbook(request):
        from casegen.outputs.ledger import ledger_rows
        from casegen.outputs.roster import teams_from_cases
        from casegen.outputs.workbooks import write_ledger, write_roster
        from casegen.service.summary import summarize

        which = request.path_params["which"]
        out = Path(tempfile.mkdtemp(prefix="casegen-serve-")) / f"{which}.xlsx"
        if which == "附件2":
            write_ledger(ledger_rows(summarize([bench.folder], evidence=False, workers=1).summaries), out)
        elif which == "附件1":
            write_roster(teams_from_cases([bench.folder])[0], out)
        else:
            raise Refused(404, "没有这个表")
        from starlette.responses import FileResponse

        return FileResponse(out, filename=out.name,
                            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            background=BackgroundTask(shutil.rmtree, out.parent, ignore_errors=True))

    async def refused(request, exc: Refused):
        return error_page(exc.status, exc.message, request)

    async def http_error(request, exc: HTTPException):
        told = {404: "没有这个页面", 405: "不支持这种请求"}.get(exc.status_code, "请求有误（如上传的文件或字段太多）")
        return error_page(exc.status_code, told, request)

    async def crashed(request, exc: Exception):
        import traceback

        traceback.print_exception(exc)  # for the maintainer, in the terminal; the page stays Chinese
        return error_page(500, "程序内部错误：请把这一页和操作步骤告诉维护人员"
                               "（详细信息已记录在启动 casegen serve 的终端中）", request)

    routes = [
        Route("/", home),
        Route("/new", new_case, methods=["POST"]),
        Route("/workbook/{which}.xlsx", workbook),
        Route("/case/{case:path}/check", check, methods=["POST"]),
        Route("/case/{case:path}/sketch", sketch, methods=["POST"]),
        Route("/case/{case:path}/save", save, methods=["POST"]),
        Route("/case/{case:path}/upload", upload_file, methods=["POST"]),
        Route("/case/{case:path}/document.{kind:str}", download),
        Route("/case/{case:path}", case_page),
        Mount("/static", StaticFiles(directory=WEB / "static"), name="static"),
    ]
    return Starlette(routes=routes, middleware=[Middleware(TokenGate)],
                     exception_handlers={Refused: refused, HTTPException: http_error, Exception: crashed})


def _mtime(path: Path) -> str:
    import datetime as dt

    try:
        return dt.datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    except OSError:
        return ""


def serve(folder: Path, *, host: str = "127.0.0.1", port: int = 8000, token: str | None = None,
          calendar_file: Path | None = None) -> None:
    """Run the workbench until interrupted."""
    import uvicorn

    from casegen.base.errors import UsageError

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
