"""A workbench safe to share: the Host allow-list and the Origin check (in-process and through
a real socket), sign-in (wrong passwords, too many tries, an expired or forged session), each
role's allowed and refused actions, the history of saves and uploads (who, when, old → new),
the review state, a second saver shown the first one's change, `casegen history`, `casegen
users`, `check` on a case changed outside the history, `submit --reviewed-only`."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import re
import shutil
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile

import httpx
import pytest
from conftest import copy_examples
from PIL import Image
from starlette.testclient import TestClient
from test_browser import running
from test_serve import CASE_03, FormValues

from casegen.cli import main
from casegen.service.users import add_user, read_users
from casegen.web import auth
from casegen.web.app import create_app

PASSWORDS = {"李填报": ("填报", "tianbao-123"), "王审核": ("审核", "shenhe-456"), "周审计": ("查看", "chakan-789")}


@pytest.fixture(scope="module")
def users_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("users") / "users.toml"
    for name, (role, password) in PASSWORDS.items():
        add_user(path, name, role, password)
    return path


@pytest.fixture
def folder(tmp_path):
    return copy_examples(tmp_path / "cases")


@pytest.fixture
def app(folder, users_file):
    return create_app(folder, users_file=users_file)


def client_of(app) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, base_url="http://localhost", follow_redirects=False)


def sign_in(client: TestClient, name: str, password: str | None = None):
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"name": name, "password": password or PASSWORDS[name][1], "csrf": csrf,
                                       "next": "/"})


def signed_in(app, name: str) -> TestClient:
    client = client_of(app)
    assert sign_in(client, name).status_code == 303
    return client


def case_form(client: TestClient) -> tuple[dict, str]:
    page = client.get(f"/case/{CASE_03}")
    assert page.status_code == 200, page.text[:300]
    parser = FormValues()
    parser.feed(page.text)
    return dict(parser.pairs), re.search(r'<meta name="csrf" content="([^"]+)">', page.text).group(1)


def post(client: TestClient, path: str, data: dict, csrf: str):
    return client.post(path, data=data, headers={"X-CSRF-Token": csrf, "Accept": "application/json"})


# --- hosts and origins ------------------------------------------------------------------------

def test_only_the_hosts_the_server_was_started_for_are_answered(folder):
    client = TestClient(create_app(folder, hosts={"cases.example.cn"}), raise_server_exceptions=False,
                        base_url="http://localhost")
    rebound = client.get("/", headers={"Host": "evil.example:8743"})
    assert rebound.status_code == 400 and "不接受主机名 evil.example" in rebound.text
    assert "重庆" not in rebound.text and str(folder) not in rebound.text  # no customer, no folder
    for host in ("localhost:8000", "127.0.0.1:8000", "[::1]:8000", "cases.example.cn", "CASES.example.cn:80"):
        assert client.get("/", headers={"Host": host}).status_code == 200, host


def test_a_post_from_another_origin_is_refused(folder):
    client = TestClient(create_app(folder), raise_server_exceptions=False, base_url="http://localhost")
    values, csrf = case_form(client)
    values["customer.phone"] = "023-11112222"
    headers = {"X-CSRF-Token": csrf, "Accept": "application/json"}
    refused = client.post(f"/case/{CASE_03}/save", data=values, headers={**headers, "Origin": "http://evil.example"})
    assert refused.status_code == 403 and "Origin" in refused.json()["error"]
    assert client.post(f"/case/{CASE_03}/save", data=values,
                       headers={**headers, "Origin": "http://localhost"}).status_code == 200


def test_the_host_check_holds_on_a_real_socket(folder):
    with running(create_app(folder)) as address:
        ok = urllib.request.urlopen(f"{address}/", timeout=10)
        assert ok.status == 200 and "重庆沙坪坝区顺达汽车维修有限公司" in ok.read().decode()
        port = address.rsplit(":", 1)[1]
        request = urllib.request.Request(f"{address}/", headers={"Host": f"evil.example:{port}"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        body = refused.value.read().decode()
        assert refused.value.code == 400 and "DNS 重绑定" in body and "重庆沙坪坝区" not in body


# --- sign-in ----------------------------------------------------------------------------------

def test_every_page_needs_sign_in_and_a_wrong_password_is_refused(app):
    client = client_of(app)
    away = client.get("/")
    assert away.status_code == 303 and away.headers["location"].startswith("/login")
    assert client.get(f"/case/{CASE_03}", headers={"Accept": "application/json"}).status_code == 401
    wrong = sign_in(client, "李填报", "not-the-password")
    assert wrong.status_code == 401 and "用户名或口令不对" in wrong.text
    assert sign_in(client, "无此人", "whatever-123").status_code == 401
    right = sign_in(client, "李填报")
    cookie = right.headers["set-cookie"]
    assert right.status_code == 303 and "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    home = client.get("/")
    assert home.status_code == 200 and "李填报（填报）" in home.text


def test_too_many_wrong_passwords_lock_the_name_for_a_while(app):
    client = client_of(app)
    for _ in range(5):
        assert sign_in(client, "王审核", "wrong-wrong").status_code == 401
    locked = sign_in(client, "王审核")  # the right password, too late
    assert locked.status_code == 429 and "失败次数过多" in locked.text


def test_an_expired_or_forged_session_is_not_a_session(app, monkeypatch):
    client = client_of(app)
    bench = app.state.bench
    monkeypatch.setattr(auth.time, "time", lambda: 1_000_000.0)  # eight hours from then is long past
    client.cookies.set(auth.SESSION_COOKIE, auth.session_cookie(bench, "王审核"))
    monkeypatch.undo()
    expired = client.get("/")
    assert expired.status_code == 303 and expired.headers["location"].endswith("told=expired")
    assert "登录已过期" in client.get(expired.headers["location"]).text
    good = auth.session_cookie(bench, "周审计")
    signature = good.partition(".")[2]
    forged = base64.urlsafe_b64encode(json.dumps(["王审核", int(time.time()) + 3600]).encode()).decode()
    client.cookies.set(auth.SESSION_COOKIE, f"{forged}.{signature}")
    assert client.get("/").status_code == 303  # a name swapped in: the signature no longer fits


def test_the_sign_in_form_needs_its_csrf_token(app):
    client = client_of(app)
    refused = client.post("/login", data={"name": "李填报", "password": PASSWORDS["李填报"][1]})
    assert refused.status_code == 403


# --- roles, history, review -------------------------------------------------------------------

def test_each_role_does_what_it_may_and_is_told_what_it_may_not(app, folder):
    viewer = signed_in(app, "周审计")
    values, csrf = case_form(viewer)
    assert viewer.get(f"/case/{CASE_03}/document.docx").status_code == 200  # reading is allowed
    assert post(viewer, f"/case/{CASE_03}/check", values, csrf).status_code == 200
    refused = post(viewer, f"/case/{CASE_03}/save", values, csrf)
    assert refused.status_code == 403 and "周审计 的角色是“查看”" in refused.json()["error"]
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    assert viewer.post(f"/case/{CASE_03}/upload", files={"file": ("a.png", png)},
                       headers={"X-CSRF-Token": csrf, "Accept": "application/json"}).status_code == 403
    assert post(viewer, "/new", {"name": "新客户"}, csrf).status_code == 403
    assert post(viewer, f"/case/{CASE_03}/review", {"action": "提交审核"}, csrf).status_code == 403

    clerk = signed_in(app, "李填报")
    values, csrf = case_form(clerk)
    values["customer.phone"] = "023-65209999"
    assert post(clerk, f"/case/{CASE_03}/save", values, csrf).status_code == 200
    assert post(clerk, f"/case/{CASE_03}/review", {"action": "通过审核"}, csrf).status_code == 403
    assert post(clerk, f"/case/{CASE_03}/review", {"action": "提交审核"}, csrf).json()["state"] == "待审核"

    reviewer = signed_in(app, "王审核")
    _, csrf = case_form(reviewer)
    assert post(reviewer, f"/case/{CASE_03}/review", {"action": "退回修改"}, csrf).status_code == 400  # no comment
    assert post(reviewer, f"/case/{CASE_03}/review", {"action": "通过审核"}, csrf).json()["state"] == "已审核"
    page = reviewer.get("/?state=已审核").text
    assert "重庆沙坪坝区顺达汽车维修有限公司" in page and "重庆九龙便民超市有限公司" not in page

    history = [json.loads(line) for line in (folder / CASE_03).with_name("casegen.history.jsonl").read_text(
        encoding="utf-8").splitlines()]
    assert [(h["user"], h["action"]) for h in history] == [("李填报", "保存"), ("李填报", "提交审核"),
                                                           ("王审核", "通过审核")]
    assert history[0]["changes"] == [["customer.phone", "023-65201188", "023-65209999"]]
    shown = reviewer.get(f"/case/{CASE_03}").text
    assert "审核状态：<span class=\"state\">已审核</span>" in shown and "023-65201188 → 023-65209999" in shown

    values, csrf = case_form(clerk)
    values["customer.phone"] = "023-65208888"
    warned = post(clerk, f"/case/{CASE_03}/save", values, csrf)  # said before the approval is lost
    assert warned.status_code == 409 and warned.json()["confirm"] is True
    assert "保存修改后审核即作废" in warned.json()["error"]
    assert "审核状态：<span class=\"state\">已审核</span>" in clerk.get(f"/case/{CASE_03}").text  # nothing written
    values["confirmed"] = "1"
    assert post(clerk, f"/case/{CASE_03}/save", values, csrf).status_code == 200  # confirmed: a draft again
    assert "审核状态：<span class=\"state\">草稿</span>" in clerk.get(f"/case/{CASE_03}").text
    _, csrf = case_form(reviewer)
    sent_back = post(reviewer, f"/case/{CASE_03}/review", {"action": "退回修改", "comment": "电话请核实"}, csrf)
    assert sent_back.status_code == 409  # a draft cannot be sent back: it was not submitted


def test_uploads_are_recorded_with_their_size_and_digest(app, folder):
    clerk = signed_in(app, "李填报")
    _, csrf = case_form(clerk)
    png = io.BytesIO()
    Image.new("RGB", (8, 8)).save(png, "PNG")
    stored = clerk.post(f"/case/{CASE_03}/upload", files={"file": ("现场.png", png.getvalue())},
                        headers={"X-CSRF-Token": csrf, "Accept": "application/json"})
    assert stored.status_code == 200
    entry = json.loads((folder / CASE_03).with_name("casegen.history.jsonl").read_text(encoding="utf-8"))
    assert entry["user"] == "李填报" and entry["action"] == "上传"
    assert entry["files"][0].startswith(f"evidence/现场.png（{len(png.getvalue())} 字节，SHA-256 ")


def test_a_second_saver_is_shown_the_first_ones_change_and_keeps_the_form(app, folder):
    first, second = signed_in(app, "李填报"), signed_in(app, "王审核")
    mine, csrf_1 = case_form(first)
    theirs, csrf_2 = case_form(second)
    mine["customer.phone"] = "023-60000001"
    assert post(first, f"/case/{CASE_03}/save", mine, csrf_1).status_code == 200
    theirs["application.capacity_kw"] = "110"
    clash = post(second, f"/case/{CASE_03}/save", theirs, csrf_2)
    assert clash.status_code == 409
    answer = clash.json()
    assert [(e["user"], e["changes"]) for e in answer["since"]] == [
        ("李填报", [["customer.phone", "023-65201188", "023-60000001"]])]
    theirs["digest"] = answer["digest"]  # seen the other change: saved over it knowingly
    assert post(second, f"/case/{CASE_03}/save", theirs, csrf_2).status_code == 200
    text = (folder / CASE_03).read_text(encoding="utf-8")
    assert "capacity_kw: 110" in text


def test_without_users_the_workbench_works_as_before_and_says_who_by_the_machine(folder):
    client = TestClient(create_app(folder), raise_server_exceptions=False, base_url="http://localhost")
    values, csrf = case_form(client)
    values["customer.phone"] = "023-65201100"
    assert post(client, f"/case/{CASE_03}/save", values, csrf).status_code == 200
    entry = json.loads((folder / CASE_03).with_name("casegen.history.jsonl").read_text(encoding="utf-8"))
    assert entry["user"].endswith("（本机，未登录）")


# --- the command line -------------------------------------------------------------------------

def test_history_command_and_check_find_a_change_outside_the_history(app, folder, capsys):
    clerk = signed_in(app, "李填报")
    values, csrf = case_form(clerk)
    values["customer.phone"] = "023-65207777"
    post(clerk, f"/case/{CASE_03}/save", values, csrf)
    case = folder / CASE_03
    assert main(["history", str(case)]) == 0
    out = capsys.readouterr().out
    assert "审核状态 草稿，1 条修改记录" in out and "李填报  保存" in out
    assert "customer.phone：023-65201188 → 023-65207777" in out
    case.write_text(case.read_text(encoding="utf-8").replace("023-65207777", "023-65200000"), encoding="utf-8")
    assert main(["history", str(case.parent)]) == 1
    assert "案例文件在最后一条记录之后被改过" in capsys.readouterr().out
    main(["check", str(case)])
    assert "[history-outside]" in capsys.readouterr().out
    log = case.with_name("casegen.history.jsonl")
    log.write_text(log.read_text(encoding="utf-8").replace("李填报", "王审核"), encoding="utf-8")
    assert main(["history", str(case)]) == 1
    assert "这条记录被改动过" in capsys.readouterr().out
    main(["check", str(case)])
    assert "[history-broken]" in capsys.readouterr().out


def test_users_command_keeps_hashes_only(tmp_path, capsys, monkeypatch):
    path = tmp_path / "users.toml"
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert main(["users", "add", "赵新人", "--role", "审核", "--users", str(path), "--password-stdin"]) == 0
    text = path.read_text(encoding="utf-8")
    assert "a-long-password" not in text and 'password = "scrypt$16384$8$1$' in text
    assert (path.stat().st_mode & 0o077) == 0
    assert read_users(path)["赵新人"].role == "审核"
    assert main(["users", "list", "--users", str(path)]) == 0 and "赵新人\t审核" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "add", "钱", "--role", "查看", "--users", str(path), "--password-stdin"]) == 2
    assert "口令至少 8 个字符" in capsys.readouterr().err
    assert main(["users", "remove", "赵新人", "--users", str(path)]) == 0 and read_users(path) == {}


def test_submit_can_take_only_the_approved_cases(app, folder, tmp_path, capsys):
    clerk, reviewer = signed_in(app, "李填报"), signed_in(app, "王审核")
    _, csrf = case_form(clerk)
    post(clerk, f"/case/{CASE_03}/review", {"action": "提交审核"}, csrf)
    _, csrf = case_form(reviewer)
    post(reviewer, f"/case/{CASE_03}/review", {"action": "通过审核"}, csrf)
    target = tmp_path / "包.zip"
    assert main(["submit", str(folder), "--unit", "示例供电分公司", "--from", "2024-09-01", "--to", "2025-06-30",
                 "--made", "2025-06-30T18:00:00+08:00", "-o", str(target), "--reviewed-only"]) == 0
    err = capsys.readouterr().err
    assert err.count("未打包（审核状态不是“已审核”）") == 2
    names = zipfile.ZipFile(target).namelist()
    assert any(n.endswith("03-有外线有掘路-顺达汽修/case.yaml") for n in names)
    assert not any("02-有外线无掘路" in n for n in names)
    assert any(n.endswith("03-有外线有掘路-顺达汽修/casegen.history.jsonl") for n in names)  # the record goes along



def test_a_reviewed_case_changed_afterwards_in_any_way_is_a_draft_again(app, folder):
    from casegen.service.workbench import review, upload

    case = folder / CASE_03
    review(case, "李填报", "提交审核")
    review(case, "王审核", "通过审核")
    png = io.BytesIO()
    Image.new("RGB", (8, 8)).save(png, "PNG")
    upload(folder, case, [("后补.png", png.getvalue())], "李填报")  # evidence nobody reviewed
    reviewer = signed_in(app, "王审核")
    assert "审核状态：<span class=\"state\">草稿</span>" in reviewer.get(f"/case/{CASE_03}").text
    review(case, "李填报", "提交审核")
    review(case, "王审核", "通过审核")
    case.write_text(case.read_text(encoding="utf-8") + "# 手改\n", encoding="utf-8")
    upload(folder, case, [("再补.png", png.getvalue())], "李填报")  # records the outside change first
    assert json.loads(reviewer.get(f"/case/{CASE_03}/history").text)["state"] == "草稿"


def test_a_forged_approval_in_a_broken_record_approves_nothing(folder, capsys):
    from casegen.service.workbench import review

    case = folder / CASE_03
    review(case, "李填报", "提交审核")
    log = case.with_name("casegen.history.jsonl")
    last = json.loads(log.read_text(encoding="utf-8").splitlines()[-1])
    forged = {**last, "seq": 2, "action": "通过审核", "user": "王审核", "prev": last["hash"], "hash": "0" * 64}
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(forged, ensure_ascii=False) + "\n")
    assert main(["history", str(case)]) == 1
    out = capsys.readouterr().out
    assert "审核状态 草稿" in out and "这条记录被改动过" in out
    with open(log, "a", encoding="utf-8") as handle:
        handle.write('{"seq": "4", "time": 1}\n')  # a line of the wrong shape: said, never a crash
    assert main(["history", str(case)]) == 1 and "不是完整的记录" in capsys.readouterr().out


def test_signing_out_or_being_removed_ends_the_session_at_once(app, users_file, tmp_path):
    clerk = signed_in(app, "李填报")
    _, csrf = case_form(clerk)
    old_cookie = clerk.cookies.get(auth.SESSION_COOKIE)
    assert clerk.post("/logout", data={"csrf": csrf}).status_code == 303
    clerk.cookies.set(auth.SESSION_COOKIE, old_cookie)  # replayed after signing out
    assert clerk.get("/").status_code == 303
    viewer = signed_in(app, "周审计")
    private = tmp_path / "users.toml"
    shutil.copy(users_file, private)
    app.state.bench.users_file = private
    from casegen.service.users import remove_user

    time.sleep(0.01)
    remove_user(private, "周审计")
    assert viewer.get("/").status_code == 303  # the file changed: read again, and he is not in it


def test_a_body_without_a_length_is_refused_before_it_is_read(folder):
    client = TestClient(create_app(folder), raise_server_exceptions=False, base_url="http://localhost")

    def chunks():
        yield b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n"
        yield b"0" * 1000

    refused = client.post("/login", content=chunks(), headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert refused.status_code == 411 and "Content-Length" in refused.text
    host_error = client.get("/", headers={"Host": "evil.example"})
    assert 'name="csrf" content=""' in host_error.text  # no token on a page a rebinding site could read


# --- what an attack found open (issue 34) -----------------------------------------------------

def raw_request(address: str, text: bytes, *, timeout: float = 10) -> bytes:
    """The answer to a request written byte for byte (headers no client library would send)."""
    host, port = address.rsplit("/", 1)[1].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as connection:
        connection.sendall(text)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize("host", ["[::1]evil", "[::1]:80:90", "localhost:abc", "[::1", "[evil]", "local host:1"])
def test_a_malformed_host_is_refused_like_a_foreign_one_never_a_server_error(app, host):
    with running(app) as address:
        answer = raw_request(address, f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), head
    assert "不接受主机名".encode() in body and b"Traceback" not in body


@pytest.mark.parametrize("header", ["Origin: http://[::1", "Origin: http://[::1]evil", "Referer: http://[::1"])
def test_a_malformed_origin_or_referer_is_refused_never_a_server_error(app, header):
    client = signed_in(app, "李填报")
    _, csrf = case_form(client)
    name, _, value = header.partition(": ")
    refused = client.post("/new", data={"name": "新客户", "csrf": csrf}, headers={name: value})
    assert refused.status_code == 403 and "其他网站" in refused.text


def test_a_name_given_to_allow_host_in_chinese_is_answered_as_browsers_send_it(folder):
    client = TestClient(create_app(folder, hosts={"工作台.供电所.local"}), raise_server_exceptions=False,
                        base_url="http://localhost")
    sent = "工作台.供电所.local".encode("idna").decode()  # xn--…: a Host header is ASCII
    assert client.get("/", headers={"Host": f"{sent}:8000"}).status_code == 200


def test_a_post_with_no_origin_and_a_foreign_referer_is_refused(app):
    client = signed_in(app, "李填报")
    _, csrf = case_form(client)
    refused = client.post("/new", data={"name": "新客户", "csrf": csrf},
                          headers={"Referer": "http://evil.example/page.html"})
    assert refused.status_code == 403 and "Referer 不符" in refused.text
    made = client.post("/new", data={"name": "新客户", "csrf": csrf},
                       headers={"Referer": "http://localhost/case/x.yaml"})
    assert made.status_code == 303  # its own page: accepted


@pytest.fixture
def own_users(tmp_path, users_file):
    """A users file this test may change (the module's is shared)."""
    private = tmp_path / "own-users.toml"
    shutil.copy(users_file, private)
    return private


def test_a_new_password_ends_the_sessions_signed_in_with_the_old_one(folder, own_users):
    app = create_app(folder, users_file=own_users)
    clerk = signed_in(app, "李填报")
    assert clerk.get("/").status_code == 200
    add_user(own_users, "李填报", "填报", "a-new-password")  # no pause: seen within the file's clock tick too
    away = clerk.get("/")
    assert away.status_code == 303 and away.headers["location"].endswith("told=changed")
    assert "口令或角色已更改，请重新登录" in clerk.get(away.headers["location"]).text
    assert clerk.get("/", headers={"Accept": "application/json"}).json() == {"error": "口令或角色已更改，请重新登录"}
    assert sign_in(clerk, "李填报", "a-new-password").status_code == 303 and clerk.get("/").status_code == 200


def test_a_session_does_not_carry_over_to_a_user_added_again_with_another_role(folder, own_users):
    from casegen.service.users import remove_user

    app = create_app(folder, users_file=own_users)
    viewer = signed_in(app, "周审计")
    _, csrf = case_form(viewer)
    remove_user(own_users, "周审计")
    add_user(own_users, "周审计", "审核", PASSWORDS["周审计"][1])  # the same password
    assert viewer.get("/").status_code == 303
    refused = post(viewer, f"/case/{CASE_03}/review", {"action": "提交审核"}, csrf)
    assert refused.status_code == 401 and refused.json()["error"] == "口令或角色已更改，请重新登录"
    assert not (folder / CASE_03).with_name("casegen.history.jsonl").exists()  # nothing was recorded


def test_the_token_on_the_sign_in_page_is_no_signed_in_users_token(app, folder):
    stranger = client_of(app)
    page = stranger.get("/login")
    read_there = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # anyone can read this one
    clerk = signed_in(app, "李填报")
    refused = clerk.post("/new", data={"name": "借来的令牌", "csrf": read_there})
    assert refused.status_code == 403 and "防跨站校验失败" in refused.text
    assert not (folder / "借来的令牌").exists()


def test_a_csrf_token_is_one_sessions_own(app, folder):
    clerk, reviewer = signed_in(app, "李填报"), signed_in(app, "王审核")
    _, clerks = case_form(clerk)
    _, reviewers = case_form(reviewer)
    assert clerks != reviewers
    refused = post(reviewer, f"/case/{CASE_03}/review", {"action": "提交审核"}, clerks)
    assert refused.status_code == 403 and "防跨站校验失败" in refused.json()["error"]
    assert clerk.post("/logout", data={"csrf": clerks}).status_code == 303
    assert sign_in(clerk, "李填报").status_code == 303
    again = post(clerk, f"/case/{CASE_03}/review", {"action": "提交审核"}, clerks)  # the last session's token
    assert again.status_code == 403
    _, fresh = case_form(clerk)
    assert post(clerk, f"/case/{CASE_03}/review", {"action": "提交审核"}, fresh).json()["state"] == "待审核"


def test_a_reviewer_cannot_approve_what_he_submitted_himself(app, folder):
    reviewer = signed_in(app, "王审核")
    values, csrf = case_form(reviewer)
    values["customer.phone"] = "023-65209999"
    assert post(reviewer, f"/case/{CASE_03}/save", values, csrf).status_code == 200
    assert post(reviewer, f"/case/{CASE_03}/review", {"action": "提交审核"}, csrf).json()["state"] == "待审核"
    alone = post(reviewer, f"/case/{CASE_03}/review", {"action": "通过审核"}, csrf)
    assert alone.status_code == 403
    assert alone.json()["error"] == ("通过审核须由另一人：最后提交或修改这个案例的是王审核本人（两人核对）。"
                                     "只有一人的供电所，请管理员在启动工作台时允许同一人审核")
    assert json.loads(reviewer.get(f"/case/{CASE_03}/history").text)["state"] == "待审核"


def test_a_one_person_station_may_approve_its_own_case_and_the_history_says_so(folder, users_file, capsys):
    app = create_app(folder, users_file=users_file, self_review=True)
    reviewer = signed_in(app, "王审核")
    _, csrf = case_form(reviewer)
    post(reviewer, f"/case/{CASE_03}/review", {"action": "提交审核"}, csrf)
    assert post(reviewer, f"/case/{CASE_03}/review", {"action": "通过审核"}, csrf).json()["state"] == "已审核"
    last = json.loads((folder / CASE_03).with_name("casegen.history.jsonl").read_text(
        encoding="utf-8").splitlines()[-1])
    assert last["user"] == "王审核" and last["alone"] is True
    assert "通过审核（同一人提交并审核：单人供电所，serve --self-review）" in reviewer.get(f"/case/{CASE_03}").text
    assert main(["history", str(folder / CASE_03)]) == 0
    assert "王审核  通过审核（同一人提交并审核：单人供电所，serve --self-review）" in capsys.readouterr().out


def test_without_sign_in_everyone_is_the_same_person_so_approving_needs_self_review(folder):
    for self_review, code in ((False, 403), (True, 200)):
        client = TestClient(create_app(folder, self_review=self_review), raise_server_exceptions=False,
                            base_url="http://localhost")
        _, csrf = case_form(client)
        post(client, f"/case/{CASE_03}/review", {"action": "提交审核"}, csrf)
        assert post(client, f"/case/{CASE_03}/review", {"action": "通过审核"}, csrf).status_code == code
    assert json.loads(client.get(f"/case/{CASE_03}/history").text)["entries"][-1]["alone"] is True


def test_an_entry_written_before_approvals_bound_files_still_reads_whole(folder):
    import hashlib

    case = folder / CASE_03
    body = {"seq": 1, "time": "2025-06-01T10:00:00+08:00", "user": "李填报", "action": "提交审核",
            "digest": hashlib.sha256(case.read_bytes()).hexdigest(), "changes": [], "files": [], "comment": "",
            "prev": ""}  # the keys of a line written before "alone" and "bound" existed
    body["hash"] = hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    case.with_name("casegen.history.jsonl").write_text(json.dumps(body, ensure_ascii=False) + "\n", encoding="utf-8")
    from casegen.service.history import case_history

    _, found = case_history(case)
    assert found.broken == [] and found.state == "待审核"


@pytest.fixture
def approved(folder):
    """Case 03 submitted by the clerk and approved by the reviewer."""
    from casegen.service.workbench import review

    case = folder / CASE_03
    review(case, "李填报", "提交审核")
    review(case, "王审核", "通过审核")
    return case


def test_an_approval_records_the_hash_of_the_case_file_and_every_evidence_file(approved):
    import hashlib

    last = json.loads(approved.with_name("casegen.history.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    files = sorted(p for p in approved.parent.rglob("*") if p.is_file() and p.name != "casegen.history.jsonl")
    assert last["bound"] == {p.relative_to(approved.parent).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                             for p in files}
    assert "case.yaml" in last["bound"] and "evidence/施工前.jpg" in last["bound"]


def test_evidence_swapped_or_deleted_after_approval_makes_the_case_a_draft_and_says_which(
        app, approved, folder, tmp_path, capsys):
    evidence = approved.parent / "evidence"
    other_case = folder / "02-有外线无掘路-九龙便民超市" / "evidence" / "施工后.jpg"
    shutil.copy(other_case, evidence / "施工前.jpg")  # another case's photo in place of this one's
    (evidence / "城市道路挖掘许可.pdf").unlink()

    assert main(["history", str(approved)]) == 1
    out = capsys.readouterr().out
    assert "审核状态 草稿" in out
    assert "✗ 审核通过后被改动，没有记录：evidence/施工前.jpg" in out
    assert "✗ 审核通过后被删除，没有记录：evidence/城市道路挖掘许可.pdf" in out

    main(["check", str(approved)])
    out = capsys.readouterr().out
    assert "[history-outside]" in out and "evidence/施工前.jpg" in out and "审核通过（" in out

    page = signed_in(app, "王审核").get(f"/case/{CASE_03}").text
    assert "审核状态：<span class=\"state\">草稿</span>" in page
    assert "审核通过后被改动，没有记录：evidence/施工前.jpg" in page

    target = tmp_path / "包.zip"
    assert main(["submit", str(folder), "--unit", "示例供电分公司", "--from", "2024-09-01", "--to", "2025-06-30",
                 "--made", "2025-06-30T18:00:00+08:00", "-o", str(target), "--reviewed-only"]) == 0
    assert capsys.readouterr().err.count("未打包（审核状态不是“已审核”）") == 3
    assert not any("03-有外线有掘路" in n for n in zipfile.ZipFile(target).namelist())

    assert main(["booklet", str(folder), "-o", str(tmp_path / "汇编.pdf"), "--reviewed", "--no-summary"]) == 1
    assert capsys.readouterr().out.count("审核状态不是“已审核”") == 3


def test_a_file_added_after_approval_is_said_and_recorded_at_the_next_workbench_step(app, approved):
    (approved.parent / "evidence" / "补充.pdf").write_bytes(b"%PDF-1.4 added afterwards")
    reviewer = signed_in(app, "王审核")
    answer = json.loads(reviewer.get(f"/case/{CASE_03}/history").text)
    assert answer["state"] == "草稿" and answer["unbound"] == ["审核通过后新增，没有记录：evidence/补充.pdf"]
    clerk = signed_in(app, "李填报")
    _, csrf = case_form(clerk)
    assert post(clerk, f"/case/{CASE_03}/review", {"action": "提交审核"}, csrf).json()["state"] == "待审核"
    entries = json.loads(clerk.get(f"/case/{CASE_03}/history").text)["entries"]
    assert [e["action"] for e in entries[-2:]] == ["外部改动", "提交审核"]
    assert "审核通过后新增，没有记录：evidence/补充.pdf" in entries[-2]["comment"]
    _, csrf = case_form(reviewer)
    assert post(reviewer, f"/case/{CASE_03}/review", {"action": "通过审核"}, csrf).json()["state"] == "已审核"


def test_an_upload_after_approval_is_an_upload_not_an_outside_change(app, approved):
    png = io.BytesIO()
    Image.new("RGB", (8, 8)).save(png, "PNG")
    clerk = signed_in(app, "李填报")
    _, csrf = case_form(clerk)
    assert clerk.post(f"/case/{CASE_03}/upload", files={"file": ("后补.png", png.getvalue())},
                      headers={"X-CSRF-Token": csrf, "Accept": "application/json"}).status_code == 200
    entries = json.loads(clerk.get(f"/case/{CASE_03}/history").text)["entries"]
    assert [e["action"] for e in entries] == ["提交审核", "通过审核", "上传"]


def test_an_approval_that_bound_no_files_approves_nothing(folder, capsys):
    from casegen.checks.history import locked, record

    case = folder / CASE_03
    with locked(case):
        record(case, "李填报", "提交审核")
        record(case, "王审核", "通过审核")  # as an older casegen wrote it: no "bound"
    assert main(["history", str(case)]) == 1
    out = capsys.readouterr().out
    assert "审核状态 草稿" in out
    assert "✗ 这次审核没有记下案例文件夹中各文件的散列（较早版本的 casegen 所记）：请重新提交审核" in out


@contextlib.contextmanager
def served(monkeypatch, folder, **options):
    """The workbench as `casegen serve` runs it — the app and the uvicorn options serve() hands
    to uvicorn.run — on a free port of this machine: its address."""
    import uvicorn

    from casegen.web.app import serve

    handed = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **given: handed.update(app=app, options=given))
    serve(folder, **options)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(handed["app"], **{**handed["options"], "host": "127.0.0.1", "port": port})
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def sign_in_over(address: str, name: str, password: str, forwarded: str) -> int:
    """A sign-in on a real socket, its X-Forwarded-For chosen by the one who signs in."""
    with httpx.Client(base_url=address, follow_redirects=False, timeout=20) as client:
        page = client.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        return client.post("/login", data={"name": name, "password": password, "csrf": csrf, "next": "/"},
                           headers={"X-Forwarded-For": forwarded}).status_code


def test_x_forwarded_for_does_not_spread_sign_in_failures_over_made_up_addresses(monkeypatch, folder, users_file):
    with served(monkeypatch, folder, users_file=users_file) as address:
        for number in range(5):  # five names, five made-up addresses, one real one
            assert sign_in_over(address, f"猜测{number}", "wrong-wrong", f"203.0.113.{number}") == 401
        assert sign_in_over(address, "李填报", PASSWORDS["李填报"][1], "203.0.113.99") == 429


def test_behind_a_declared_proxy_its_x_forwarded_for_is_the_address(monkeypatch, folder, users_file):
    with served(monkeypatch, folder, users_file=users_file, trusted_proxies=["127.0.0.1"]) as address:
        for number in range(5):
            assert sign_in_over(address, f"猜测{number}", "wrong-wrong", "198.51.100.7") == 401
        assert sign_in_over(address, "李填报", PASSWORDS["李填报"][1], "198.51.100.7") == 429  # that client
        assert sign_in_over(address, "王审核", PASSWORDS["王审核"][1], "198.51.100.8") == 303  # another one


def quick_deadlines(monkeypatch, **seconds) -> None:
    """The server's read deadlines made short for a test (set on the module today's code has too,
    so that a server without them is seen to keep the connection open)."""
    from casegen.web import app as web_app

    for name, value in seconds.items():
        monkeypatch.setattr(web_app, name, value, raising=False)


def closed_within(connection: socket.socket, seconds: float) -> bytes | None:
    """What the server sent before it closed the connection, or None if it was still open after
    `seconds` (the client trickling on meanwhile, one byte every 0.2 s)."""
    connection.settimeout(0.2)
    answer, started = b"", time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            chunk = connection.recv(65536)
        except TimeoutError:
            try:
                connection.sendall(b"x")
            except OSError:
                return answer
            continue
        except OSError:
            return answer
        if not chunk:
            return answer
        answer += chunk
    return None


def test_a_trickling_body_is_cut_off(monkeypatch, folder, users_file, capsys):
    quick_deadlines(monkeypatch, BODY_GRACE_SECONDS=1.0, BODY_MIN_RATE=1000, BODY_IDLE_SECONDS=5.0)
    with served(monkeypatch, folder, users_file=users_file) as address:
        port = int(address.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as connection:
            connection.sendall(b"POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-"
                               b"urlencoded\r\nContent-Length: 40000000\r\n\r\nname=")
            started = time.monotonic()
            assert closed_within(connection, 8) is not None, "a 40 MB body at 5 bytes a second was never cut off"
            assert time.monotonic() - started < 4
        assert httpx.get(f"{address}/login", timeout=10).status_code == 200  # the server itself is fine
    assert "Traceback" not in capsys.readouterr().err  # a client cut off is no fault to report


def test_headers_sent_one_line_at_a_time_are_cut_off(monkeypatch, folder):
    quick_deadlines(monkeypatch, HEADER_SECONDS=1.0)
    with served(monkeypatch, folder) as address, \
            socket.create_connection(("127.0.0.1", int(address.rsplit(":", 1)[1]))) as connection:
        connection.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        started = time.monotonic()
        assert closed_within(connection, 8) is not None, "headers trickled in for ever"
        assert time.monotonic() - started < 4


def test_connections_beyond_the_cap_are_refused_at_once_in_chinese(monkeypatch, folder):
    quick_deadlines(monkeypatch, MAX_CONNECTIONS=3)
    with served(monkeypatch, folder) as address:
        port = int(address.rsplit(":", 1)[1])
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
        time.sleep(0.3)
        try:
            with socket.create_connection(("127.0.0.1", port)) as extra:
                answer = closed_within(extra, 5)
                assert answer is not None, "a connection beyond the cap was kept open"
                assert answer.startswith(b"HTTP/1.1 503") and "连接数已满".encode() in answer
        finally:
            for connection in idle:
                connection.close()
        time.sleep(0.3)
        assert httpx.get(f"{address}/", timeout=10).status_code == 200


def test_a_trusted_proxy_must_be_an_address(folder, capsys):
    assert main(["serve", str(folder), "--trusted-proxy", "nginx.local"]) == 2
    assert "--trusted-proxy 应为代理服务器的 IP 地址（如 127.0.0.1），实际为 'nginx.local'" in capsys.readouterr().err


# --- a review that talks (issue 32.7) -----------------------------------------------------------

def test_a_case_sent_back_reads_returned_with_the_comment_until_it_is_submitted_again(app, folder):
    clerk, reviewer = signed_in(app, "李填报"), signed_in(app, "王审核")
    values, csrf = case_form(clerk)
    values["customer.phone"] = "023-65209999"
    assert post(clerk, f"/case/{CASE_03}/save", values, csrf).status_code == 200
    submitted = post(clerk, f"/case/{CASE_03}/review", {"action": "提交审核"}, csrf).json()
    assert submitted == {"state": "待审核", "done": "已提交审核：等待审核人通过或退回。"}
    _, csrf = case_form(reviewer)
    sent = post(reviewer, f"/case/{CASE_03}/review", {"action": "退回修改", "comment": "施工后照片请重拍"}, csrf)
    assert sent.json()["state"] == "已退回"

    listed = clerk.get("/").text
    row = listed[listed.index("重庆沙坪坝区顺达汽车维修有限公司"):]
    row = row[:row.index("</tr>")]
    assert "已退回" in row and "意见：施工后照片请重拍" in row
    page = clerk.get(f"/case/{CASE_03}").text
    banner = page[page.index('id="returned"'):page.index('<div class="layout">')]
    assert "已退回" in banner and "王审核" in banner and "意见：施工后照片请重拍" in banner
    assert page.index('id="returned"') < page.index('id="case-form"')  # at the top, not under the history

    values, csrf = case_form(clerk)  # fixing it keeps it 已退回, with the comment in view
    values["customer.phone"] = "023-65208888"
    assert post(clerk, f"/case/{CASE_03}/save", values, csrf).json()["state"] == "已退回"
    assert "意见：施工后照片请重拍" in clerk.get(f"/case/{CASE_03}").text
    assert post(clerk, f"/case/{CASE_03}/review", {"action": "提交审核"}, csrf).json()["state"] == "待审核"
    assert 'id="returned"' not in clerk.get(f"/case/{CASE_03}").text
    assert [e["action"] for e in json.loads(clerk.get(f"/case/{CASE_03}/history").text)["entries"]] == \
        ["保存", "提交审核", "退回修改", "保存", "提交审核"]


def test_sending_back_without_a_comment_shows_the_case_page_again_with_why(app, folder):
    clerk, reviewer = signed_in(app, "李填报"), signed_in(app, "王审核")
    values, csrf = case_form(clerk)
    values["customer.phone"] = "023-65209999"
    post(clerk, f"/case/{CASE_03}/save", values, csrf)
    post(clerk, f"/case/{CASE_03}/review", {"action": "提交审核"}, csrf)
    _, csrf = case_form(reviewer)
    # the form without the page's script: the case page again, the reason at the top, not an error page
    page = reviewer.post(f"/case/{CASE_03}/review", data={"action": "退回修改", "comment": "  ", "csrf": csrf})
    assert page.status_code == 400
    assert 'id="told"' in page.text and "退回修改须写明意见" in page.text and 'id="case-form"' in page.text
    assert "回到案例列表" not in page.text
    refused = post(reviewer, f"/case/{CASE_03}/review", {"action": "退回修改"}, csrf)  # the page's script
    assert refused.status_code == 400 and "退回修改须写明意见" in refused.json()["error"]
    # a refused approval keeps the comment the reviewer typed
    _, csrf = case_form(clerk)
    page = clerk.post(f"/case/{CASE_03}/review", data={"action": "提交审核", "comment": "已核对电话", "csrf": csrf})
    assert page.status_code == 409 and "已核对电话</textarea>" in page.text


def test_submitting_says_so_at_the_top_of_the_page(app, folder):
    clerk = signed_in(app, "李填报")
    values, csrf = case_form(clerk)
    values["customer.phone"] = "023-65209999"
    post(clerk, f"/case/{CASE_03}/save", values, csrf)
    done = clerk.post(f"/case/{CASE_03}/review", data={"action": "提交审核", "csrf": csrf})
    assert done.status_code == 303
    page = clerk.get(done.headers["location"]).text
    assert 'id="done"' in page and "已提交审核：等待审核人通过或退回。" in page


def test_approving_a_case_with_evidence_problems_shows_them_and_asks(app, folder):
    """APPROVE_WITH_PROBLEMS: example 02 lacks its 编制说明 and its 施工前 photo."""
    case_02 = "02-有外线无掘路-九龙便民超市/case.yaml"
    clerk, reviewer = signed_in(app, "李填报"), signed_in(app, "王审核")
    csrf = case_form(clerk)[1]
    assert post(clerk, f"/case/{case_02}/review", {"action": "提交审核"}, csrf).json()["state"] == "待审核"
    csrf = case_form(reviewer)[1]
    asked = post(reviewer, f"/case/{case_02}/review", {"action": "通过审核"}, csrf)
    assert asked.status_code == 409 and asked.json()["confirm"] is True
    problems = asked.json()["problems"]
    assert len(problems) == 2 and any("编制说明" in p for p in problems) and any("施工前" in p for p in problems)
    assert "实证材料还有 2 项问题" in asked.json()["error"]
    assert json.loads(reviewer.get(f"/case/{case_02}/history").text)["state"] == "待审核"  # nothing recorded
    approved = post(reviewer, f"/case/{case_02}/review", {"action": "通过审核", "confirmed": "1"}, csrf)
    assert approved.json()["state"] == "已审核"
    last = json.loads(reviewer.get(f"/case/{case_02}/history").text)["entries"][-1]
    assert last["action"] == "通过审核" and "审核时实证材料问题 2 项，审核人已确认" in last["comment"]


def test_the_history_on_the_page_says_fields_by_name_and_values_in_words(app, folder):
    clerk = signed_in(app, "李填报")
    values, csrf = case_form(clerk)
    values["customer.phone"] = "023-65209999"
    values["customer.small_micro"] = "false"
    assert post(clerk, f"/case/{CASE_03}/save", values, csrf).status_code == 200
    page = clerk.get(f"/case/{CASE_03}").text
    history = page[page.index('id="history"'):]
    assert "客户·联系电话：023-65201188 → 023-65209999" in history
    assert "客户·是否小微企业：是 → 否" in history
    assert "customer.phone" not in history and "true" not in history and "false" not in history
    assert "<title>重庆沙坪坝区顺达汽车维修有限公司 · 典型案例工作台</title>" in page
    assert "<h1>重庆沙坪坝区顺达汽车维修有限公司</h1>" in page


# --- the save path (issue 35.3) ------------------------------------------------------------------

def test_one_save_reads_hashes_and_parses_the_case_file_once_and_its_history_once(app, folder, monkeypatch):
    from pathlib import Path

    from ruamel.yaml import YAML

    from casegen.checks import history
    from casegen.service import workbench

    clerk = signed_in(app, "李填报")
    values, csrf = case_form(clerk)  # the page shown: its loader's verdict is known
    values["customer.phone"] = "023-65209999"
    case_file = (folder / CASE_03).resolve()
    counted = {"read": 0, "hash": 0, "parse": 0, "loader": 0, "history": 0}
    read_bytes, digest, file_digest = Path.read_bytes, workbench.digest, history.file_digest

    def reading(self):
        counted["read"] += self.resolve() == case_file
        return read_bytes(self)

    def hashing(data):
        counted["hash"] += 1
        return digest(data)

    def hashing_file(path):
        counted["hash"] += 1
        return file_digest(path)

    def parsing(self, stream):
        counted["parse"] += 1
        return load(self, stream)

    def loader(*args, **kwargs):
        counted["loader"] += 1
        return load_raw(*args, **kwargs)

    def reading_history(*args, **kwargs):
        counted["history"] += 1
        return read_history(*args, **kwargs)

    load, load_raw, read_history = YAML.load, workbench.load_raw, history.read_history
    monkeypatch.setattr(Path, "read_bytes", reading)
    monkeypatch.setattr(workbench, "digest", hashing)
    monkeypatch.setattr(history, "file_digest", hashing_file)
    monkeypatch.setattr(YAML, "load", parsing)
    monkeypatch.setattr(workbench, "load_raw", loader)
    monkeypatch.setattr(history, "read_history", reading_history)
    for phone in ("023-65209999", "023-65208888"):  # the second save from the same page, too
        values["customer.phone"] = phone
        for key in counted:
            counted[key] = 0
        saved = post(clerk, f"/case/{CASE_03}/save", values, csrf)
        assert saved.status_code == 200
        values["digest"] = saved.json()["digest"]
        # one read and one hash of the case file, one parse, one history (the second hash is of
        # the bytes written: the digest the page is given back)
        assert counted == {"read": 1, "hash": 2, "parse": 1, "loader": 0, "history": 1}, counted
    entries = json.loads(clerk.get(f"/case/{CASE_03}/history").text)["entries"]
    assert [e["changes"] for e in entries] == [[["customer.phone", "023-65201188", "023-65209999"]],
                                               [["customer.phone", "023-65209999", "023-65208888"]]]


def test_the_role_is_checked_before_a_posted_body_is_read(app, folder, monkeypatch):
    viewer = signed_in(app, "周审计")
    values, csrf = case_form(viewer)
    read = []
    form = auth.form_of

    async def reading(request):
        read.append(request.url.path)
        return await form(request)

    monkeypatch.setattr(auth, "form_of", reading)
    for path, data in ((f"/case/{CASE_03}/save", values), (f"/case/{CASE_03}/upload", {}),
                       (f"/case/{CASE_03}/review", {"action": "提交审核"}), ("/new", {"name": "新客户"})):
        refused = post(viewer, path, data, csrf)
        assert refused.status_code == 403 and "周审计 的角色是“查看”" in refused.json()["error"], path
    assert read == []
