"""The packages an attack on `casegen receive` got through (issue 34, items 1–7) and the packages a
unit re-made by hand (issue 31, item 9): each built here, byte by byte where zipfile would not
write it, and received as the 客服中心 would."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
from conftest import EXAMPLES

from casegen.base import writing
from casegen.cli import main
from casegen.company import package as pkg
from casegen.company import store as st

UNIT = "九龙坡供电分公司"
PERIOD = {"from": "2025-01-01", "to": "2025-01-14"}
MADE = "2025-01-15T00:00:00+08:00"
WHOLE = "上报包应正是 casegen submit 生成的 zip"


def manifest_of(members: dict[str, bytes], **changes) -> bytes:
    data = {"format": 1, "unit": UNIT, "period": PERIOD, "made": MADE, "casegen": "0.1.0",
            "members": [{"path": n, "size": len(b), "sha256": hashlib.sha256(b).hexdigest()}
                        for n, b in sorted(members.items())], "cases": [], **changes}
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def build(target: Path, members: dict[str, bytes], **changes) -> Path:
    """A package of `members` (name → bytes) with a true manifest (`changes` to its head), written by zipfile."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members.items():
            archive.writestr(name, body)
        archive.writestr("manifest.json", manifest_of(members, **changes))
    return target


def raw_zip(target: Path, entries: list[dict], *, between: bytes = b"") -> Path:
    """A zip written byte by byte, for what zipfile will not write: each entry a dict with `name`
    (bytes, stored as given), `body` (the uncompressed bytes) or `deflated` with `crc` and `size`,
    and optional `flags`, `system`, `mode`, `extra`. `between` is put between the members."""
    local, central = bytearray(), bytearray()
    for n, entry in enumerate(entries):
        if n:
            local += between
        name, flags = entry["name"], entry.get("flags", 0)
        if "deflated" in entry:
            method, data, crc, size = 8, entry["deflated"], entry["crc"], entry["size"]
        else:
            method, data, crc, size = 0, entry["body"], zlib.crc32(entry["body"]), len(entry["body"])
        offset = len(local)
        extra = entry.get("extra", b"")
        local += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, flags, method, 0, 33, crc, len(data), size,
                             len(name), len(extra)) + name + extra + data
        attr = entry.get("mode", stat.S_IFREG | 0o644) << 16
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", entry.get("system", 3) << 8 | 20, 20, flags, method,
                               0, 33, crc, len(data), size, len(name), len(extra), 0, 0, 0, attr, offset) + name + extra
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), len(local), 0)
    target.write_bytes(bytes(local + central + end))
    return target


def stored(name: str, body: bytes, **extra) -> dict:
    return {"name": name.encode("utf-8"), "body": body, "flags": 0x800, **extra}


def receive(capsys, store: Path, *packages: Path, extra=()) -> tuple[int, list[dict]]:
    capsys.readouterr()
    code = main(["receive", *map(str, packages), "--store", str(store), "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


def dump_cases(store: Path) -> list[dict]:
    connection = sqlite3.connect(store / st.DATABASE)
    try:
        return st.dump(connection)["cases"]
    finally:
        connection.close()


def refused(capsys, tmp_path: Path, package: Path, expected: str) -> str:
    """The package is refused with `expected` in its reason, and the store keeps nothing of it."""
    store = tmp_path / "store"
    code, [result] = receive(capsys, store, package)
    assert code == 1 and result["status"] == "拒收", result
    assert expected in result["reason"], result["reason"]
    assert not list((store / st.PACKAGES).rglob("*")) if (store / st.PACKAGES).exists() else True
    assert not [p for p in store.iterdir() if p.name.startswith(".")]
    return result["reason"]


@pytest.fixture
def scratch_elsewhere(tmp_path, monkeypatch) -> Path:
    """Where tempfile would put scratch: watched, so that nothing of a receive lands outside its store."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr("tempfile.tempdir", None)
    return folder


GOOD = {"统计.html": b"<html></html>"}


# --- 1. a bomb spread over many members --------------------------------------------------------

def spread_bomb(target: Path, members: int) -> Path:
    """`members` files of exactly 1 MiB of zeros (each at the old per-member floor), listed in a
    true manifest: the package of the attack, written without compressing 4 GiB."""
    zeros = bytes(1 << 20)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = packer.compress(zeros) + packer.flush()
    digest, crc = hashlib.sha256(zeros).hexdigest(), zlib.crc32(zeros)
    names = [f"cases/bomb/{n:04d}.bin" for n in range(members)]
    manifest = {"format": 1, "unit": UNIT, "period": PERIOD, "made": MADE, "casegen": "0.1.0",
                "members": [{"path": n, "size": len(zeros), "sha256": digest} for n in names], "cases": []}
    entries = [{"name": n.encode(), "deflated": deflated, "crc": crc, "size": len(zeros)} for n in names]
    entries.append({"name": b"manifest.json", "body": json.dumps(manifest).encode()})
    return raw_zip(target, entries)


def test_a_bomb_spread_over_many_members_is_refused_before_anything_is_written(tmp_path, capsys,
                                                                              scratch_elsewhere):
    bomb = spread_bomb(tmp_path / "bomb.zip", 4090)
    total = sum(i.file_size for i in zipfile.ZipFile(bomb).infolist())
    reason = refused(capsys, tmp_path, bomb, "疑为 zip 炸弹")
    assert reason == (f"解压后共 {total} 字节，是包本身 {bomb.stat().st_size} 字节的 "
                      f"{total // bomb.stat().st_size} 倍（上限 200 倍），疑为 zip 炸弹")
    assert not list(scratch_elsewhere.iterdir())


def test_the_whole_archive_ratio_catches_members_each_below_the_floor(tmp_path):
    bomb = spread_bomb(tmp_path / "bomb.zip", 300)  # 300 MiB: within the total, far beyond the ratio
    with pytest.raises(pkg.Refused) as refusal:
        pkg.verify(bomb)
    assert "倍（上限 200 倍），疑为 zip 炸弹" in str(refusal.value)


def test_the_declared_total_is_what_a_fortnight_never_reaches():
    fortnight = 25 * 20_000_000  # about 25 cases of about 20 MB
    assert fortnight < pkg.LIMITS.total_bytes <= 1 << 30
    assert pkg.LIMITS.member_bytes <= pkg.LIMITS.total_bytes < pkg.LIMITS.zip_bytes < 2 << 30


def test_the_total_counts_every_member_and_says_so(tmp_path):
    package = build(tmp_path / "p.zip", {"统计.html": os.urandom(40_000), "附件2.xlsx": os.urandom(40_000)})
    total = sum(i.file_size for i in zipfile.ZipFile(package).infolist())
    with pytest.raises(pkg.Refused) as refusal:
        pkg.verify(package, pkg.Limits(total_bytes=60_000))
    assert str(refusal.value) == f"解压后共 {total} 字节，超过上限 60000 字节"


# --- 2. scratch inside the store, abandoned scratch removed --------------------------------------

KILLED_WHILE_READING = """
import os, signal, sys
from pathlib import Path
from casegen.company import package as pkg
from casegen.service.intake import receive
extract = pkg.extract_cases
def extract_and_die(package, folder):
    root = extract(package, folder)
    print(folder, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
pkg.extract_cases = extract_and_die
receive([Path(sys.argv[1])], Path(sys.argv[2]))
"""


def submitted(tmp_path: Path) -> Path:
    folder = tmp_path / "cases"
    shutil.copytree(EXAMPLES, folder)
    package = tmp_path / "p.zip"
    assert main(["submit", str(folder), "--unit", UNIT, "--from", "2024-09-01", "--to", "2025-04-30",
                 "--made", "2025-05-01T09:00:00+08:00", "-o", str(package)]) == 0
    return package


def kill_while_reading(package: Path, store: Path) -> Path:
    """A receive killed (SIGKILL) while the package's cases lie unpacked: where they lie."""
    child = subprocess.run([sys.executable, "-c", KILLED_WHILE_READING, str(package), str(store)],
                           capture_output=True, text=True, env=os.environ.copy())
    assert child.returncode == -9, child.stderr
    return Path(child.stdout.strip())


def submitted_again(tmp_path: Path) -> Path:
    package = tmp_path / "p2.zip"
    assert main(["submit", str(tmp_path / "cases"), "--unit", UNIT, "--from", "2024-09-01", "--to", "2025-04-30",
                 "--made", "2025-05-02T09:00:00+08:00", "-o", str(package)]) == 0
    return package


def test_a_killed_receive_leaves_scratch_only_in_the_store_and_the_next_removes_it(tmp_path, capsys,
                                                                                   scratch_elsewhere):
    package, store = submitted(tmp_path), tmp_path / "store"
    left = kill_while_reading(package, store)
    assert not list(scratch_elsewhere.iterdir())
    assert left.parent == store and left.name.startswith(".casegen-") and list(left.rglob("case.yaml"))
    running = left.with_name(left.name.replace(f".{left.name.split('.')[-2]}.", f".{os.getpid()}."))
    running.mkdir()  # a receive still at work (its process alive): never touched
    code, [result] = receive(capsys, store, package)
    assert code == 0 and result["status"] == "已收存"
    assert not left.exists() and running.is_dir()
    running.rmdir()
    left = kill_while_reading(submitted_again(tmp_path), store)
    assert main(["receive", "--store", str(store), "--reindex"]) == 0
    assert not left.exists() and not [p for p in store.iterdir() if p.name.startswith(".")]


# --- 3. symlinks, whatever system made the zip ---------------------------------------------------

@pytest.mark.parametrize("system", [0, 3, 5, 16, 30])
def test_a_symlink_entry_is_refused_whatever_system_made_it(tmp_path, capsys, system):
    link = stored("cases/a/passwd", b"/etc/passwd", system=system, mode=stat.S_IFLNK | 0o777)
    members = {"cases/a/passwd": b"/etc/passwd"}
    package = raw_zip(tmp_path / "link.zip", [link, stored("manifest.json", manifest_of(members))])
    assert refused(capsys, tmp_path, package, "含符号链接") == "含符号链接：'cases/a/passwd'"


# --- 4. bytes around the zip -----------------------------------------------------------------------

def test_bytes_before_the_zip_are_refused(tmp_path, capsys):
    package = tmp_path / "p.zip"
    page = b"<html><body>\xe6\x82\xa8\xe7\x9a\x84\xe9\x82\xae\xe4\xbb\xb6</body></html>\n"
    package.write_bytes(page + build(tmp_path / "ok.zip", GOOD).read_bytes())
    assert refused(capsys, tmp_path, package, WHOLE) == f"zip 之前有 {len(page)} 个字节的别的内容（如网页）：{WHOLE}"


@pytest.mark.parametrize("tail", [b"\n<html>junk</html>", b"\0" * 3])
def test_bytes_after_the_zip_are_refused(tmp_path, capsys, tail):
    package = tmp_path / "p.zip"
    package.write_bytes(build(tmp_path / "ok.zip", GOOD).read_bytes() + tail)
    reason = refused(capsys, tmp_path, package, WHOLE)
    assert reason == f"zip 的结尾之后还有 {len(tail)} 个字节（别的内容或注释）：{WHOLE}"


def test_a_comment_is_refused(tmp_path, capsys):
    package = build(tmp_path / "p.zip", GOOD)
    with zipfile.ZipFile(package, "a") as archive:
        archive.comment = "请查收".encode()
    refused(capsys, tmp_path, package, "字节（别的内容或注释）")


def test_bytes_between_members_are_refused(tmp_path, capsys):
    members = {"统计.html": b"<html></html>"}
    package = raw_zip(tmp_path / "p.zip", [stored("统计.html", members["统计.html"]),
                                           stored("manifest.json", manifest_of(members))], between=b"hidden")
    assert refused(capsys, tmp_path, package, WHOLE) == f"文件 'manifest.json' 之前有 6 个不属于任何文件的字节：{WHOLE}"


# --- 5. names a unit's Windows machine cannot hold ------------------------------------------------

@pytest.mark.parametrize(("name", "trouble"), [
    ("CON.pdf", "“CON” 是 Windows 保留的设备名"),
    ("cases/x/a:b.pdf", "含字符 ':'"),  # at the start, a:b.pdf is a drive letter: refused as absolute
    ("cases/C:evil", "含字符 ':'"),
    ("trail. ", "以空格或点结尾"),
    ("cases/x/nul.txt", "“nul” 是 Windows 保留的设备名"),
    ("cases/x/why?.pdf", "含字符 '?'"),
    ("cases/aux /a.pdf", "以空格或点结尾"),
])
def test_names_windows_cannot_hold_are_refused(tmp_path, capsys, name, trouble):
    reason = refused(capsys, tmp_path, build(tmp_path / "p.zip", {name: b"x", **GOOD}), "Windows")
    assert reason == f"文件名在 Windows 上不能使用（{trouble}）：{name!r}"


@pytest.mark.parametrize("part", ["CON.pdf", "a:b.pdf", "C:evil", "trail. ", "nul.txt", "why?.pdf", "aux ",
                                  "COM¹.txt", "a\u202eb.pdf"])
def test_the_workbench_and_receive_share_one_rule_for_names(part):
    assert writing.name_trouble(part) is not None and writing.safe_name(part) != part
    assert writing.name_trouble(writing.safe_name(part)) is None


def test_a_name_too_long_for_one_file_is_refused(tmp_path, capsys):
    name = "cases/x/" + "长" * 90 + ".pdf"  # 274 bytes: no disk holds it as one name
    reason = refused(capsys, tmp_path, build(tmp_path / "p.zip", {name: b"x", **GOOD}), "Windows")
    assert reason.startswith("文件名在 Windows 上不能使用（长于 255 字节）")


def test_submit_refuses_to_pack_names_receive_would_refuse(tmp_path, capsys):
    folder = tmp_path / "cases"
    shutil.copytree(EXAMPLES, folder)
    evidence = next(folder.glob("03-*/evidence"))
    (evidence / "现场 10:30.jpg").write_bytes(b"\xff\xd8")
    (evidence / "CON.pdf").write_bytes(b"%PDF")
    capsys.readouterr()
    assert main(["submit", str(folder), "--unit", UNIT, "--from", "2024-09-01", "--to", "2025-04-30",
                 "-o", str(tmp_path / "p.zip")]) == 2
    err = capsys.readouterr().err
    assert "这些文件的名字收存时会被拒收，请改名后再打包" in err and not (tmp_path / "p.zip").exists()
    where = f"cases/{evidence.parent.name}/evidence"
    assert f"文件名在 Windows 上不能使用（含字符 ':'）：'{where}/现场 10:30.jpg'" in err
    assert f"文件名在 Windows 上不能使用（“CON” 是 Windows 保留的设备名）：'{where}/CON.pdf'" in err


# --- 6. dates no package can have ---------------------------------------------------------------

@pytest.mark.parametrize(("changes", "reason"), [
    ({"period": {"from": "2199-01-01", "to": "2199-01-14"}}, "period.from 2199-01-01 晚于今天"),
    ({"period": {"from": "2025-01-01", "to": "2199-12-31"}}, "period.to 2199-12-31 晚于今天"),
    ({"made": "0001-01-01T00:00:00+08:00"}, "生成时间 0001-01-01T00:00:00+08:00 早于 2019-01-01"),
    ({"made": "2199-01-15T00:00:00+08:00"}, "生成时间 2199-01-15T00:00:00+08:00 晚于现在"),
])
def test_implausible_dates_are_refused_with_a_reason(tmp_path, capsys, changes, reason):
    refused(capsys, tmp_path, build(tmp_path / "p.zip", GOOD, **changes), "清单（manifest.json）有误：" + reason)


# --- 7. a file and a folder of one name --------------------------------------------------------------

@pytest.mark.parametrize(("file", "inner"), [("cases/a", "cases/a/b.txt"), ("cases/A", "cases/a/b.txt")])
def test_a_file_and_a_folder_of_one_name_are_refused_for_that(tmp_path, capsys, file, inner):
    reason = refused(capsys, tmp_path, build(tmp_path / "p.zip", {file: b"x", inner: b"y", **GOOD}), "同名")
    folder = inner.rsplit("/", 1)[0] + "/"
    assert reason == f"文件 {file!r} 与文件夹 {folder!r} 同名：同一个名字不能既是文件又是文件夹"


# --- 31.9 packages re-made by hand -----------------------------------------------------------------

@pytest.mark.skipif(shutil.which("zip") is None, reason="needs Info-ZIP zip: apt-get install zip")
def test_a_package_unpacked_and_rezipped_with_info_zip_is_kept_and_said(tmp_path, capsys):
    package = submitted(tmp_path)
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(package) as archive:
        archive.extractall(unpacked)
        original = sorted(archive.namelist())
    again = tmp_path / "again.zip"
    subprocess.run(["zip", "-q", "-r", str(again), "."], cwd=unpacked, check=True,
                   env={**os.environ, "LC_ALL": "C.UTF-8"})
    with zipfile.ZipFile(again) as archive:
        folders = sum(i.is_dir() for i in archive.infolist())
        assert folders and not any(i.flag_bits & 0x800 for i in archive.infolist())
    code, [result] = receive(capsys, tmp_path / "store", again)
    assert code == 0 and result["status"] == "已收存" and result["cases"] == 3, result
    assert result["notes"] == [
        f"包不是 casegen submit 原样生成的：解开后重新压缩过（含 {folders} 个文件夹条目，已略过；"
        "每个文件仍与清单核对）",
        "文件名没有标明编码（无 UTF-8 标记），按 UTF-8（Linux 上 Info-ZIP 的写法）读出"]
    assert {c["folder"] for c in dump_cases(tmp_path / "store")} == {n.rsplit("/", 1)[0] for n in original
                                                                      if n.endswith("/case.yaml")}
    capsys.readouterr()
    assert main(["receive", str(again), "--store", str(tmp_path / "store2")]) == 0
    out = capsys.readouterr().out
    assert "注：包不是 casegen submit 原样生成的" in out and "按 UTF-8（Linux 上 Info-ZIP 的写法）读出" in out


@pytest.mark.skipif(shutil.which("zip") is None, reason="needs Info-ZIP zip: apt-get install zip")
def test_a_package_rezipped_with_its_outer_folder_is_refused_plainly(tmp_path, capsys):
    package = submitted(tmp_path)
    with zipfile.ZipFile(package) as archive:
        archive.extractall(tmp_path / "outer" / "九龙坡")
    again = tmp_path / "again.zip"
    subprocess.run(["zip", "-q", "-r", str(again), "九龙坡"], cwd=tmp_path / "outer", check=True)
    reason = refused(capsys, tmp_path, again, "缺少清单")
    assert reason == ("缺少清单 manifest.json：包中的文件都在文件夹 '九龙坡/' 下，像是解开后连同外层文件夹重新压缩的；"
                      "请让单位发送 casegen submit 生成的原包（文件名没有标明编码（无 UTF-8 标记），"
                      "按 UTF-8（Linux 上 Info-ZIP 的写法）读出）")


@pytest.mark.parametrize(("encoding", "said"), [("gbk", "GBK（中文 Windows 的写法）"),
                                                 ("cp437", "cp437（zip 格式默认的编码）")])
def test_names_without_the_utf8_flag_are_read_as_the_zip_says(tmp_path, capsys, encoding, said):
    name = "cases/王记/照片.jpg" if encoding == "gbk" else "cases/Äpfel/ÿ.jpg"
    members = {name: b"\xff\xd8 photo"}
    entries = [{"name": name.encode(encoding), "body": members[name]}, stored("manifest.json", manifest_of(members))]
    code, [result] = receive(capsys, tmp_path / "store", raw_zip(tmp_path / "p.zip", entries))
    assert code == 0 and result["status"] == "已收存", result
    assert result["notes"] == [f"文件名没有标明编码（无 UTF-8 标记），按 {said}读出"]


def test_a_mismatch_after_guessing_the_encoding_says_the_guess(tmp_path, capsys):
    members = {"cases/王记/照片.jpg": b"\xff\xd8 photo"}
    listed = manifest_of({"cases/王记/相片.jpg": b"\xff\xd8 photo"})
    entries = [{"name": "cases/王记/照片.jpg".encode("gbk"), "body": members["cases/王记/照片.jpg"]},
               stored("manifest.json", listed)]
    reason = refused(capsys, tmp_path, raw_zip(tmp_path / "p.zip", entries), "未列入清单")
    assert reason.endswith("（文件名没有标明编码（无 UTF-8 标记），按 GBK（中文 Windows 的写法）读出）")


def test_an_info_zip_unicode_path_field_is_what_the_zip_says(tmp_path, capsys):
    name = "cases/王记/照片.jpg"
    legacy = name.encode("gbk")
    field = b"\x01" + struct.pack("<L", zlib.crc32(legacy)) + name.encode("utf-8")
    members = {name: b"\xff\xd8 photo"}
    entries = [{"name": legacy, "body": members[name], "extra": struct.pack("<2H", 0x7075, len(field)) + field},
               stored("manifest.json", manifest_of(members))]
    code, [result] = receive(capsys, tmp_path / "store", raw_zip(tmp_path / "p.zip", entries))
    assert code == 0 and result["status"] == "已收存", result
    assert result["notes"] == ["文件名没有标明编码（无 UTF-8 标记），按 Info-ZIP 的 Unicode 路径字段（UTF-8）读出"]


def test_a_folder_entry_that_is_a_link_is_refused(tmp_path, capsys):
    link = stored("cases/a/", b"", mode=stat.S_IFLNK | 0o777)
    package = raw_zip(tmp_path / "link.zip", [link, stored("manifest.json", manifest_of({}))])
    assert refused(capsys, tmp_path, package, "含符号链接") == "含符号链接：'cases/a/'"
