"""`casegen serve`: the handlers in-process (Starlette's test client), over a copy of the examples."""

from __future__ import annotations

import getpass
import io
import re
import shutil
from html.parser import HTMLParser

import pytest
from conftest import copy_examples, english_words
from starlette.testclient import TestClient

from casegen.cli import main
from casegen.service.workbench import MAX_UPLOAD_BYTES
from casegen.web.app import create_app

CASE_03 = "03-有外线有掘路-顺达汽修/case.yaml"


@pytest.fixture
def folder(tmp_path):
    return copy_examples(tmp_path / "cases")


@pytest.fixture
def client(folder):
    return TestClient(create_app(folder), raise_server_exceptions=False, base_url="http://localhost")


class FormValues(HTMLParser):
    """The (name, value) pairs a browser would submit for the page's case form."""

    def __init__(self):
        super().__init__()
        self.pairs, self.template, self.select, self.textarea, self.text = [], 0, None, None, ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "template":
            self.template += 1
        if self.template or ("name" not in attrs and tag != "option"):
            return
        if tag == "input" and attrs.get("type") != "file":
            self.pairs.append((attrs["name"], attrs.get("value", "")))
        elif tag == "select":
            self.select, self.chosen = attrs["name"], ""
        elif tag == "option" and self.select and "selected" in attrs:
            self.chosen = attrs["value"]
        elif tag == "textarea":
            self.textarea, self.text = attrs["name"], ""

    def handle_endtag(self, tag):
        if tag == "template":
            self.template -= 1
        elif tag == "select" and self.select and not self.template:
            self.pairs.append((self.select, self.chosen))
            self.select = None
        elif tag == "textarea" and self.textarea and not self.template:
            self.pairs.append((self.textarea, self.text))
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.text += data


def form_of(client, case=CASE_03) -> dict:
    page = client.get(f"/case/{case}")
    assert page.status_code == 200
    parser = FormValues()
    parser.feed(page.text)
    return dict(parser.pairs)


def csrf_of(client) -> str:
    return re.search(r'<meta name="csrf" content="([^"]+)">', client.get("/").text).group(1)


def post(client, path, data, files=None):
    return client.post(path, data=data, files=files, headers={"X-CSRF-Token": csrf_of(client),
                                                              "Accept": "application/json"})


def test_home_lists_the_examples_with_their_working_days(client):
    page = client.get("/").text
    for name, days in (("重庆山城味道餐饮管理有限公司", "2/4"), ("重庆九龙便民超市有限公司", "7/10"),
                       ("重庆沙坪坝区顺达汽车维修有限公司", "9/15")):
        assert re.search(rf"{name}</a>.*?{days}", page, re.S)
    assert "案例（3 个）" in page


def test_a_bind_beyond_this_machine_needs_a_token(capsys, examples):
    assert main(["serve", str(examples), "--host", "0.0.0.0"]) == 2
    assert "--token" in capsys.readouterr().err


def test_with_a_token_every_request_must_carry_it(folder):
    client = TestClient(create_app(folder, token="s3cret"), raise_server_exceptions=False, base_url="http://localhost")
    refused = client.get("/")
    assert refused.status_code == 403 and "访问口令" in refused.text
    assert client.get("/?token=wrong").status_code == 403
    assert client.get("/?token=s3cret").status_code == 200
    assert client.get("/").status_code == 200  # the cookie the first visit set


def test_a_post_without_the_csrf_token_is_refused(client):
    values = form_of(client)
    del values["csrf"]  # a form posted from another site has not got it
    answer = client.post(f"/case/{CASE_03}/save", data=values)
    assert answer.status_code == 403 and "防跨站校验失败" in answer.text and "Traceback" not in answer.text


@pytest.mark.parametrize("path", ["/case/../../etc/passwd", "/case/%2e%2e/%2e%2e/etc/hosts",
                                  "/case/03-有外线有掘路-顺达汽修/evidence/施工前.jpg", "/case/nothing.yaml"])
def test_no_path_from_a_request_leaves_the_folder_or_opens_a_non_case(client, path):
    answer = client.get(path)
    assert answer.status_code == 404 and "Traceback" not in answer.text
    assert "root:" not in answer.text and "<html" in answer.text


def test_findings_come_back_with_the_field_they_belong_to(client):
    values = form_of(client)
    values["application.capacity_kw"] = "140kW"
    result = post(client, f"/case/{CASE_03}/check", values).json()
    [finding] = [f for f in result["findings"] if f["path"] == "application.capacity_kw"]
    assert "只写数字：140" in finding["text"] and finding["class"] == "数据错误"
    values["application.capacity_kw"] = "120"  # with the 30 kW already there: 150, within 160
    result = post(client, f"/case/{CASE_03}/check", values).json()
    assert not [f for f in result["findings"] if f["path"] == "application.capacity_kw"]
    assert result["days"] == {"kind": "有外线有掘路", "working": 9, "limit": 15, "calendar": 16,
                              "text": "9/15 个工作日，16 个日历日"}
    assert {i["status"] for i in result["items"]} >= {"已提供"}


def test_the_sketch_preview_is_svg(client):
    answer = post(client, f"/case/{CASE_03}/sketch", form_of(client))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("image/svg+xml")
    assert answer.text.startswith("<svg")
    from casegen.outputs.sketch import NEW

    assert NEW.lower() in answer.text.lower()  # example 03's new cable, drawn blue


def test_saving_keeps_comments_and_order_and_refuses_a_file_changed_since(client, folder):
    path = folder / CASE_03
    before = path.read_text(encoding="utf-8")
    values = form_of(client)
    values["application.capacity_kw"] = "120"
    saved = post(client, f"/case/{CASE_03}/save", values)
    assert saved.status_code == 200
    after = path.read_text(encoding="utf-8")
    assert "capacity_kw: 120" in after
    assert after.splitlines()[0] == before.splitlines()[0]  # the example's leading comment
    assert [line.split(":")[0] for line in after.splitlines() if line and not line.startswith((" ", "#"))] == \
           [line.split(":")[0] for line in before.splitlines() if line and not line.startswith((" ", "#"))]
    assert after.replace("capacity_kw: 120", "capacity_kw: 100") == before  # nothing else moved
    path.write_text(after + "# 另一个窗口改的\n", encoding="utf-8")
    stale = post(client, f"/case/{CASE_03}/save", values)  # the digest of the page before
    assert stale.status_code == 409 and "被改过" in stale.json()["error"]
    assert path.read_text(encoding="utf-8").endswith("# 另一个窗口改的\n")


def test_uploads_are_checked_and_kept_in_the_case_evidence_folder(client, folder):
    png = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (40, 30), "white").save(png, format="PNG")
    stored = post(client, f"/case/{CASE_03}/upload", {}, files={"file": ("../../逃出去.png", png.getvalue())})
    assert stored.status_code == 200
    [name] = stored.json()["stored"]
    assert name.startswith("evidence/") and (folder / CASE_03).parent.joinpath(name).is_file()
    assert not (folder.parent / "逃出去.png").exists()
    fake = post(client, f"/case/{CASE_03}/upload", {}, files={"file": ("工单.pdf", png.getvalue())})
    assert fake.status_code == 415 and "不符" in fake.json()["error"]
    script = post(client, f"/case/{CASE_03}/upload", {}, files={"file": ("x.sh", b"#!/bin/sh")})
    assert script.status_code == 415
    big = post(client, f"/case/{CASE_03}/upload", {}, files={"file": ("big.pdf", b"%PDF" + b"0" * MAX_UPLOAD_BYTES)})
    assert big.status_code in (413, 400)


def test_the_docx_download_is_the_case_document(client):
    import docx

    answer = client.get(f"/case/{CASE_03}/document.docx")
    assert answer.status_code == 200
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(answer.content)).paragraphs)
    assert "重庆沙坪坝区顺达汽车维修有限公司" in text and "9 个工作日" in text


def test_a_new_case_is_made_with_its_evidence_folder(client, folder):
    answer = client.post("/new", data={"csrf": csrf_of(client), "name": "新客户"}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/case/")
    assert (folder / "新客户" / "case.yaml").is_file() and (folder / "新客户" / "evidence").is_dir()
    again = client.post("/new", data={"csrf": csrf_of(client), "name": "新客户"})
    assert again.status_code == 409 and "已有同名案例" in again.text


def test_workbooks_download(client):
    from openpyxl import load_workbook

    for which in ("附件2", "附件1"):
        answer = client.get(f"/workbook/{which}.xlsx")
        assert answer.status_code == 200
        assert load_workbook(io.BytesIO(answer.content)).sheetnames


def test_saving_an_unchanged_form_leaves_every_example_byte_for_byte(client, folder):
    for path in sorted(folder.glob("*/case.yaml")):
        relative = path.relative_to(folder).as_posix()
        before = path.read_bytes()
        assert post(client, f"/case/{relative}/save", form_of(client, relative)).status_code == 200
        assert path.read_bytes() == before, relative



def test_a_file_the_form_cannot_show_is_never_saved_over(client, folder):
    path = folder / CASE_03
    anchored = "name: &tn 井口工业园2号公用配变\n"  # an anchor: the loader refuses it, the form would be empty
    text = path.read_text(encoding="utf-8").replace("name: 井口工业园2号公用配变\n", anchored, 1)
    text = text.replace("name: 井口工业园2号公用配变, capacity_kva", "name: *tn, capacity_kva")
    path.write_text(text, encoding="utf-8")
    page = client.get(f"/case/{CASE_03}").text
    assert "不会在这里保存" in page and 'id="save" disabled' in page
    values = form_of(client)
    refused = post(client, f"/case/{CASE_03}/save", values)
    assert refused.status_code == 422 and "不在这里保存" in refused.json()["error"]
    assert path.read_text(encoding="utf-8") == text


def test_values_the_form_does_not_hold_survive_a_save(client, folder):
    path = folder / CASE_03
    text = path.read_text(encoding="utf-8")
    text = text.replace("  integrated: false\n", "  integrated: False\n  remark: 内部备注\n")
    text = text.replace("feedback:", "feedbak: {steps: 拼错的节}\nfeedback:", 1)
    path.write_text(text, encoding="utf-8")
    assert post(client, f"/case/{CASE_03}/save", form_of(client)).status_code == 200
    assert path.read_text(encoding="utf-8") == text  # nothing changed: nothing written
    values = form_of(client)
    values["customer.phone"] = "023-60000009"
    assert post(client, f"/case/{CASE_03}/save", values).status_code == 200
    # the value kept (ruamel writes YAML's own spelling of a boolean), everything else as it was
    assert path.read_text(encoding="utf-8") == text.replace("integrated: False", "integrated: false").replace(
        '"023-65201188"', '"023-60000009"')


@pytest.mark.parametrize(("where", "value"), [("token", "é"), ("csrf", "中"), ("digest", "中")])
def test_non_ascii_secrets_are_refused_not_crashed(folder, where, value):
    client = TestClient(create_app(folder, token="t" if where == "token" else None), raise_server_exceptions=False, base_url="http://localhost")
    if where == "token":
        assert client.get(f"/?token={value}").status_code == 403
        return
    values = form_of(client)
    values[where] = value
    headers = {"Accept": "application/json"} if where == "csrf" else \
        {"Accept": "application/json", "X-CSRF-Token": csrf_of(client)}
    if where == "csrf":
        answer = client.post(f"/case/{CASE_03}/save", data=values, headers=headers)
        assert answer.status_code == 403
    else:
        answer = client.post(f"/case/{CASE_03}/save", data=values, headers=headers)
        assert answer.status_code == 409


@pytest.mark.parametrize("path", ["/case/a%00.yaml", "/case/" + "a" * 300 + ".yaml", "/case/loop.yaml"])
def test_paths_that_cannot_be_resolved_are_404(client, folder, path):
    (folder / "loop.yaml").symlink_to(folder / "loop.yaml")
    answer = client.get(path)
    assert answer.status_code == 404 and "不是本文件夹中的案例文件" in answer.text


def test_links_out_of_the_folder_neither_list_nor_receive(client, folder, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(folder / CASE_03, outside / "x.yaml")
    (folder / "link.yaml").symlink_to(outside / "x.yaml")
    assert client.get("/").status_code == 200
    evidence = folder / "01-无外线-山城味道餐饮" / "evidence"
    shutil.rmtree(evidence)
    evidence.symlink_to(outside)
    sent = post(client, "/case/01-无外线-山城味道餐饮/case.yaml/upload", {},
                files={"file": ("a.pdf", b"%PDF-1.4 x")})
    assert sent.status_code == 403 and not (outside / "a.pdf").exists()
    (folder / "linkout").symlink_to(outside)
    made = client.post("/new", data={"csrf": csrf_of(client), "name": "linkout"})
    assert made.status_code == 403 and not (outside / "case.yaml").exists()


def test_an_upload_never_replaces_evidence_and_a_bad_one_stops_the_batch(client, folder):
    photo = (folder / CASE_03).parent / "evidence" / "施工前.jpg"
    before = photo.read_bytes()
    sent = post(client, f"/case/{CASE_03}/upload", {}, files={"file": ("施工前.jpg", before[:2] + before[2:])})
    assert sent.json()["stored"] == ["evidence/施工前_2.jpg"] and photo.read_bytes() == before
    batch = post(client, f"/case/{CASE_03}/upload", {}, files=[("file", ("好.pdf", b"%PDF-1.4")),
                                                               ("file", ("坏.exe", b"MZ"))])
    assert batch.status_code == 415 and not (photo.parent / "好.pdf").exists()


def test_a_non_ascii_digit_as_an_index_is_not_a_crash(client):
    values = form_of(client)
    values["grid.route.².kind"] = "cable"
    assert post(client, f"/case/{CASE_03}/check", values).status_code == 200



def test_the_form_is_checked_for_photo_times_and_the_callback_too(client):
    values = form_of(client)
    values["callback.date"] = "2025-05-01"  # before energising (2025-05-14)
    values["evidence.photos.0.stage"] = "施工后"  # shot 2025-05-09, before the works ended
    result = post(client, f"/case/{CASE_03}/check", values).json()
    rules = {f["rule"]: f for f in result["findings"]}
    assert rules["callback-date"]["path"] == "callback.date"
    assert rules["photo-time"]["path"] == "evidence.photos.0" and "2025-05-14" in rules["photo-time"]["text"]


# --- Chinese wherever a clerk looks (issue 32.5) -----------------------------------------------------



class VisibleText(HTMLParser):
    """What a browser shows of a page: its text (not scripts, styles, templates or the list of
    files offered for a field), its title, placeholders and buttons' words. The served folder's
    path in the header is the user's own name for it (as a customer's name is), not the page's."""

    HIDDEN = frozenset({"script", "style", "template", "datalist"})

    def __init__(self):
        super().__init__()
        self.hidden, self.parts, self.stack = 0, [], []

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                      "wbr"})

    def handle_starttag(self, tag, attrs):
        if not self.hidden:
            self.parts += [value for name, value in attrs if name == "placeholder" and value]
        if tag in self.VOID:
            return
        self.stack.append(tag in self.HIDDEN or (tag == "span" and ("class", "folder") in attrs))
        self.hidden += self.stack[-1]

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.hidden -= self.stack.pop()

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


def checked_texts(result: dict) -> list[str]:
    """What the page's script writes from a check: findings, the summary, the checklist."""
    texts = [f["text"] for f in result["findings"]] + [f["message"] for f in result["findings"]]
    texts += [f["clause"] for f in result["findings"]] + result["missing"] + result["stops"]
    texts += [result["days"]["text"] or "", result["days"]["kind"] or ""]
    texts += [f"{i['group']} {i['name']} {i['status']} {(i['file'] or '').removeprefix('evidence/')}"
              for i in result["items"]]
    return texts


def test_no_workbench_page_shows_an_english_word(client, folder, users_file_for_serve):
    new = client.post("/new", data={"name": "小王便利店", "csrf": csrf_of(client)}, follow_redirects=False)
    assert new.status_code == 303
    pages = {"/": client.get("/").text, "/?state=已退回": client.get("/?state=已退回").text,
             "404": client.get("/case/没有这个.yaml").text}
    for relative in sorted(p.relative_to(folder).as_posix() for p in folder.glob("*/case.yaml")):
        page = client.get(f"/case/{relative}")
        assert page.status_code == 200
        pages[relative] = page.text
        result = post(client, f"/case/{relative}/check", form_of(client, relative)).json()
        assert not english_words(*checked_texts(result)), (relative, english_words(*checked_texts(result)))
    signed = TestClient(create_app(folder, users_file=users_file_for_serve), base_url="http://localhost")
    pages["/login"] = signed.get("/login").text
    me = getpass.getuser()  # who made the new case, in its history: a person's name is theirs, not the page's
    for name, html in pages.items():
        shown = visible(html).replace(f"{me}（本机，未登录）", "")
        assert not english_words(shown), (name, english_words(shown))
    new_case = pages["小王便利店/case.yaml"]
    assert "<title>小王便利店（新案例，户名未填） · 典型案例工作台</title>" in new_case
    for shown in ("<option value=\"true\">是</option>", "<option value=\"cable\">电缆</option>",
                  "<option value=\"arrow\">箭头</option>"):
        assert shown in new_case


@pytest.fixture
def users_file_for_serve(tmp_path):
    from casegen.service.users import add_user

    path = tmp_path / "users.toml"
    add_user(path, "李填报", "填报", "tianbao-123")
    return path


def test_a_new_case_is_empty_and_reads_unfinished_with_what_its_fields_give(client, folder):
    client.post("/new", data={"name": "小王便利店", "csrf": csrf_of(client)})
    relative = "小王便利店/case.yaml"
    values = form_of(client, relative)
    filled = {k: v for k, v in values.items() if v and k not in ("csrf", "digest")}
    assert filled == {}, filled  # no sample value to clear
    home = client.get("/").text
    row = home[home.index("小王便利店（新案例"):] if "小王便利店（新案例" in home else home[home.index("小王便利店"):]
    assert "未填完" in row[:row.index("</tr>")]
    result = post(client, f"/case/{relative}/check", values).json()
    assert result["days"]["kind"] is None and len(result["missing"]) == 25 and "行业分类" in result["missing"]
    assert not [f for f in result["findings"] if f["rule"] in ("one-address", "duplicate-account")]
    values |= {"project.kind": "无外线", "timeline.accepted": "2025-12-30", "timeline.energized": "2026-01-05"}
    result = post(client, f"/case/{relative}/check", values).json()
    assert result["days"] == {"kind": "无外线", "working": 3, "calendar": 6, "limit": 4,
                              "text": "3/4 个工作日，6 个日历日"}
    values["grid.route.0.kind"], values["grid.route.0.new"] = "cable", "true"
    result = post(client, f"/case/{relative}/check", values).json()
    [length] = [f for f in result["findings"] if f["path"] == "grid.route.0.length_m"]
    assert length["message"] == "接入路径第 1 项（电缆）须填写长度（米）"
    assert result["days"]["working"] == 3  # the route's problem hides nothing else


def test_a_document_of_an_unfinished_case_is_refused_saying_what_is_missing(client, folder):
    client.post("/new", data={"name": "小王便利店", "csrf": csrf_of(client)})
    page = client.get("/case/小王便利店/case.yaml/document.docx")
    assert page.status_code == 422
    told = visible(page.text)
    assert "案例还未填完（25 项必填未填），不生成文档：供电单位、所在单位、户名" in told
    assert not english_words(told)
