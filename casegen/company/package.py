"""A submission package: one zip per unit and period, made reproducibly, and read back trusting
nothing in it.

Layout (all names relative, POSIX, sorted; every entry dated 1980-01-01 00:00:00, mode 0644):

    cases/<case folder>/…   each case folder of the period: its case file and evidence
    manifest.json           format, unit, period, time made, casegen version, every member's
                            path, size and SHA-256, and per case its folder, 户号, name, counts
    附件2.xlsx              the period's 附件2 (docProps dates set to the time made)
    统计.html               the period's report page (its “生成于” set to the time made)

`verify` refuses a package, with the reason in Chinese, for any member not in the manifest or
listed and missing, a wrong size or hash, an absolute path, `..`, a name a unit's Windows machine
cannot hold, a link or other non-regular entry (by its mode, whatever system made the zip), a
duplicate name, a file and a folder of one name, bytes before, between or after the zip's own
records, sizes beyond the limits or a ratio only a zip bomb has (per member and over the whole
package), or a manifest that is not what casegen writes, with dates no package can have. Declared
sizes are checked before anything is read, and the bytes are counted again while hashing; nothing
is written until all of it passed.

A package unpacked and zipped again by hand (Info-ZIP `zip -r`, Windows) still verifies, file by
file: its folder entries are skipped and names stored without the UTF-8 flag are read as the zip
says (Info-ZIP's Unicode path field; else UTF-8 as Info-ZIP on Linux writes, GBK as Chinese Windows
writes, or the format's cp437), and `Package.notes` says so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import stat
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from casegen.base.writing import atomic_path, name_trouble, safe_name

FORMAT = 1
MANIFEST, LEDGER, REPORT, CASES = "manifest.json", "附件2.xlsx", "统计.html", "cases"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
CHUNK = 1 << 20
BEIJING = dt.timezone(dt.timedelta(hours=8), "北京时间")


@dataclass(frozen=True)
class Limits:
    """What a package may not exceed; a unit's two weeks of cases are far below all of it."""

    zip_bytes: int = (1 << 30) + (64 << 20)  # the zip file itself: the total, and room for its own records
    members: int = 20_000
    member_bytes: int = 512 << 20  # one file, uncompressed
    total_bytes: int = 1 << 30  # all files, uncompressed: a fortnight's ~25 cases of ~20 MB are half of it
    ratio: int = 200  # uncompressed / compressed, for a member, and for the whole package, over ratio_floor bytes
    ratio_floor: int = 1 << 20
    manifest_bytes: int = 16 << 20


LIMITS = Limits()


class Refused(Exception):
    """A package that is not kept: the reason, in Chinese."""


@dataclass(frozen=True)
class Member:
    path: str
    size: int
    sha256: str


@dataclass
class Package:
    """A package that passed every check."""

    file: Path
    sha256: str
    size: int
    manifest: dict
    members: dict[str, Member] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # how a package re-made outside casegen was read

    @property
    def unit(self) -> str:
        return self.manifest["unit"]

    @property
    def start(self) -> str:
        return self.manifest["period"]["from"]

    @property
    def end(self) -> str:
        return self.manifest["period"]["to"]

    @property
    def made(self) -> str:
        return self.manifest["made"]

    @property
    def cases(self) -> list[dict]:
        return self.manifest["cases"]


# --- making ------------------------------------------------------------------------------------

def made_text(moment: dt.datetime) -> str:
    """The time made, as the manifest says it: Beijing time, to the second, ISO 8601."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=BEIJING)
    return moment.astimezone(BEIJING).replace(microsecond=0, tzinfo=dt.timezone(dt.timedelta(hours=8))).isoformat()


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.create_system = 3  # Unix, whatever system made it: the same bytes everywhere
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _digest(source: Path | bytes) -> Member:
    hasher, size = hashlib.sha256(), 0
    if isinstance(source, bytes):
        hasher.update(source)
        size = len(source)
    else:
        with open(source, "rb") as handle:
            while chunk := handle.read(CHUNK):
                hasher.update(chunk)
                size += len(chunk)
    return Member("", size, hasher.hexdigest())


def normalise_xlsx(data: bytes, made: str) -> bytes:
    """An openpyxl workbook made reproducible: docProps/core.xml's created and modified set to
    `made` (UTC), every entry dated 1980-01-01, in the order openpyxl wrote them."""
    stamp = dt.datetime.fromisoformat(made).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            body = source.read(entry)
            if entry.filename == "docProps/core.xml":
                text = body.decode("utf-8")
                for tag in ("created", "modified"):
                    text = re.sub(rf"(<dcterms:{tag}\b[^>]*>)[^<]*(</dcterms:{tag}>)", rf"\g<1>{stamp}\g<2>", text)
                body = text.encode("utf-8")
            target.writestr(_info(entry.filename), body, compresslevel=6)
    return out.getvalue()


REPORT_MADE = re.compile(r"生成于 \d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def normalise_report(text: str, made: str) -> str:
    """The report page made reproducible: its “生成于” is the package's time made."""
    moment = dt.datetime.fromisoformat(made)
    return REPORT_MADE.sub(f"生成于 {moment.strftime('%Y-%m-%d %H:%M')}", text)


def build(target: Path, files: dict[str, Path | bytes], head: dict, cases: list[dict]) -> tuple[Member, ...]:
    """Write the package `target` (atomically): `files` by their member names, and the manifest
    made of `head` (format, unit, period, made, casegen), the members' digests and `cases`.
    A file that changes while it is packed is an OSError (the package would not verify)."""
    digests = {}
    for name, source in files.items():
        found = _digest(source)
        digests[name] = Member(name, found.size, found.sha256)
    listed = [digests[name] for name in sorted(digests)]
    manifest = {**head, "members": [{"path": m.path, "size": m.size, "sha256": m.sha256} for m in listed],
                "cases": cases}
    manifest_bytes = (json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")
    entries = {**files, MANIFEST: manifest_bytes}
    with atomic_path(target) as temporary, zipfile.ZipFile(temporary, "w") as archive:
        for name in sorted(entries):
            source = entries[name]
            info = _info(name)
            if isinstance(source, bytes):
                archive.writestr(info, source, compresslevel=6)
                continue
            hasher = hashlib.sha256()
            with open(source, "rb") as handle, archive.open(info, "w", force_zip64=True) as sink:
                while chunk := handle.read(CHUNK):
                    hasher.update(chunk)
                    sink.write(chunk)
            if hasher.hexdigest() != digests[name].sha256:
                raise OSError(f"打包时文件被改动：{source}")
    return tuple(listed)


# --- reading -----------------------------------------------------------------------------------

HEX64 = re.compile(r"^[0-9a-f]{64}$")
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FIRST_DAY = dt.date(2019, 1, 1)  # the notice is of 2019: no period and no package is older
AHEAD = dt.timedelta(days=14)  # a period may end at most a fortnight after the day it arrives (reported early)
CLOCKS = dt.timedelta(days=1)  # how far a unit's clock may run ahead of the 客服中心's
MAX_DEPTH, MAX_NAME = 16, 1000  # a case folder's files lie a few levels deep; a name is a path, not a story
HEAD_KEYS = {"format": int, "unit": str, "period": dict, "made": str, "casegen": str, "members": list, "cases": list}
AS_MADE = "上报包应正是 casegen submit 生成的 zip"
REMADE = "包不是 casegen submit 原样生成的：解开后重新压缩过（含 {} 个文件夹条目，已略过；每个文件仍与清单核对）"
UTF8_FLAG, DESCRIPTOR_FLAG, ENCRYPTED_FLAG = 0x800, 0x8, 0x1
LOCAL_HEADER, END_RECORD = 30, 22  # bytes of a member's local header and of the end record, before their names
DESCRIPTOR_SIZES = (12, 16, 20, 24)  # a data descriptor: CRC and two sizes of 4 or 8 bytes, with or without signature
UNICODE_PATH = 0x7075  # Info-ZIP's extra field: version 1, CRC-32 of the stored name, the name in UTF-8
# for names stored without the UTF-8 flag, tried in this order on all of them at once; cp437 reads any bytes
ENCODINGS = (("utf-8", "UTF-8（Linux 上 Info-ZIP 的写法）"), ("gbk", "GBK（中文 Windows 的写法）"),
             ("cp437", "cp437（zip 格式默认的编码）"))


def name_problem(name: str) -> str | None:
    """Why a member name is refused, or None (`submit` asks too, before packing)."""
    if not name or "\x00" in name:
        return "文件名为空或含空字符"
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return f"使用了绝对路径：{name!r}"
    if "\\" in name:
        return f"路径中含反斜杠（应为 / 分隔）：{name!r}"
    parts = name.split("/")
    if len(parts) > MAX_DEPTH or len(name) > MAX_NAME:
        return f"路径过深或过长（至多 {MAX_DEPTH} 层、{MAX_NAME} 个字符）：{name[:80]!r}…"
    if ".." in parts:
        return f"路径中含 ..，指向包外：{name!r}"
    if any(part in ("", ".") for part in parts):
        return f"路径不规范（空段或 .）：{name!r}"
    if any(ord(c) < 0x20 or c == "\x7f" for c in name):
        return f"路径中含控制字符：{name!r}"
    trouble = next(filter(None, map(name_trouble, parts)), None)  # the workbench's own rule for names
    if trouble:
        return f"文件名在 Windows 上不能使用（{trouble}）：{name!r}"
    return None


def _check_entry(info: zipfile.ZipInfo, name: str) -> str | None:
    """Why an entry is refused, or None. Its type is read from the mode bits whatever system the
    zip names: Info-ZIP's unzip makes a link of a link's mode from any of them."""
    mode = info.external_attr >> 16
    folder = name.endswith("/")
    if stat.S_ISLNK(mode):
        return f"含符号链接：{name!r}"
    if stat.S_IFMT(mode) and not (stat.S_ISDIR(mode) if folder else stat.S_ISREG(mode)):  # no type bits: plain
        return f"含非普通文件（设备、管道等）：{name!r}"
    if folder:
        return f"文件夹条目 {name!r} 带有内容" if info.file_size else None
    if info.flag_bits & ENCRYPTED_FLAG:
        return f"含加密的文件：{name!r}"
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return f"使用了不支持的压缩方式：{name!r}"
    return None


def _date(text, what: str) -> dt.date:
    if not isinstance(text, str):
        raise Refused(f"清单（manifest.json）有误：{what} 应为日期文字")
    try:
        if not ISO_DAY.match(text):  # fromisoformat also takes 20250101 and 2025-W01-1
            raise ValueError(text)
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise Refused(f"清单（manifest.json）有误：{what} 应写作 YYYY-MM-DD，实际为 {text!r}") from None
    if day < FIRST_DAY:
        raise Refused(f"清单（manifest.json）有误：{what} {day} 早于 {FIRST_DAY}（通知是 2019 年的）")
    return day


def _check_times(data: dict, now: dt.datetime) -> None:
    """Dates no package can have: a period not yet begun or ending more than a fortnight from
    today (it would count as reported for fortnights to come), made before 2019 or in the future."""
    bad, today = "清单（manifest.json）有误：", now.astimezone(BEIJING).date()
    start, end = _date(data["period"].get("from"), "period.from"), _date(data["period"].get("to"), "period.to")
    if end < start:
        raise Refused(bad + f"期间结束 {end} 早于开始 {start}")
    if start > today:
        raise Refused(bad + f"period.from {start} 晚于今天（{today}）：还没有开始的期间不能上报")
    if end > today + AHEAD:
        raise Refused(bad + f"period.to {end} 晚于今天（{today}）两周以上：上报的期间至多到两周之后")
    try:
        made = dt.datetime.fromisoformat(data["made"])
    except ValueError:
        raise Refused(bad + f"生成时间 {data['made']!r} 不是 ISO 8601 时间") from None
    if made.tzinfo is None:
        raise Refused(bad + "生成时间没有时区")
    if made.date() < FIRST_DAY:
        raise Refused(bad + f"生成时间 {data['made']} 早于 {FIRST_DAY}（通知是 2019 年的）")
    if made > now + CLOCKS:
        raise Refused(bad + f"生成时间 {data['made']} 晚于现在（{now.astimezone(BEIJING):%Y-%m-%d %H:%M} 北京时间）："
                      "单位电脑的时钟有误，或清单被改过")


def check_manifest(data: object, *, now: dt.datetime | None = None) -> dict:
    """The manifest, as casegen writes it, or Refused with what is wrong (`now`: the time it is
    judged at, default the clock's)."""
    bad = "清单（manifest.json）有误："
    if not isinstance(data, dict):
        raise Refused(bad + "应为 JSON 对象")
    for key, kind in HEAD_KEYS.items():
        if key not in data:
            raise Refused(bad + f"缺少 {key}")
        if not isinstance(data[key], kind) or (kind is int and isinstance(data[key], bool)):
            raise Refused(bad + f"{key} 的类型不对")
    if data["format"] != FORMAT:
        raise Refused(bad + f"格式版本 {data['format']} 不是本程序所知的 {FORMAT}")
    unit = data["unit"]
    if not unit.strip() or safe_name(unit) != unit or unit.startswith("."):
        raise Refused(bad + f"供电单位名称 {unit!r} 为空或含不能用作文件夹名的字符")
    _check_times(data, now or dt.datetime.now(BEIJING))
    seen = set()
    for n, member in enumerate(data["members"], 1):
        if not (isinstance(member, dict) and isinstance(member.get("path"), str)
                and isinstance(member.get("size"), int) and not isinstance(member.get("size"), bool)
                and member["size"] >= 0 and isinstance(member.get("sha256"), str) and HEX64.match(member["sha256"])):
            raise Refused(bad + f"第 {n} 个文件条目应有 path（文字）、size（非负整数）、sha256（64 位十六进制）")
        if member["path"] in seen or member["path"] == MANIFEST:
            raise Refused(bad + f"文件 {member['path']!r} 重复列出")
        seen.add(member["path"])
    for n, case in enumerate(data["cases"], 1):
        if not (isinstance(case, dict) and isinstance(case.get("folder"), str)
                and isinstance(case.get("case_file"), str)
                and isinstance(case.get("customer"), str) and isinstance(case.get("account"), (str, type(None)))
                and isinstance(case.get("counts"), dict)
                and all(isinstance(v, int) and not isinstance(v, bool) for v in case["counts"].values())):
            raise Refused(bad + f"第 {n} 个案例条目应有 folder、case_file、account、customer、counts")
        if case["case_file"] not in seen or not case["case_file"].startswith(case["folder"] + "/"):
            raise Refused(bad + f"第 {n} 个案例的案例文件 {case['case_file']!r} 不在所列文件中")
    return data


def verify(path: Path, limits: Limits = LIMITS) -> Package:
    """Read the package at `path` and check all of it; Refused (reason in Chinese) if anything is wrong."""
    try:
        mode = path.lstat().st_mode
    except OSError as e:
        raise Refused(f"无法读取：{e.strerror or e}") from None
    if not stat.S_ISREG(mode):
        raise Refused("不是普通文件")
    size = path.stat().st_size
    if size > limits.zip_bytes:
        raise Refused(f"文件过大（{size} 字节，上限 {limits.zip_bytes}）")
    try:
        with open(path, "rb") as handle:
            sha = hashlib.file_digest(handle, "sha256").hexdigest()
            handle.seek(0)
            return _verify_open(path, handle, sha, size, limits)
    except Refused:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, ValueError) as e:
        raise Refused(f"不是完好的 zip 文件（{e}）") from None
    except OSError as e:
        raise Refused(f"读取时出错：{e.strerror or e}") from None


def _verify_open(path: Path, handle, sha: str, size: int, limits: Limits) -> Package:
    with zipfile.ZipFile(handle) as archive:
        entries = archive.infolist()
        if len(entries) > limits.members:
            raise Refused(f"文件个数 {len(entries)} 超过上限 {limits.members}")
        named, encoding = _names(entries)
        try:
            reason = _tail(handle, size) or _layout(handle, named, archive.start_dir)
            if reason:
                raise Refused(reason)
            files, folders = _entries(named, limits)
            _check_total(sum(info.file_size for info in files.values()), size, limits)
            manifest, listed = _check_members(archive, files, size, limits)
        except Refused as e:
            raise Refused(f"{e}（{encoding}）" if encoding else str(e)) from None
    notes = [REMADE.format(folders)] if folders else []
    return Package(path, sha, size, manifest, listed, notes + ([encoding] if encoding else []))


def _names(entries: list[zipfile.ZipInfo]) -> tuple[list[tuple[str, zipfile.ZipInfo]], str | None]:
    """Each entry with its name as the zip says it; and, when names without the UTF-8 flag are
    not ASCII, how they were read (Info-ZIP's Unicode path field, else one encoding for all)."""
    unflagged = [i for i in entries if not i.flag_bits & UTF8_FLAG and not i.orig_filename.isascii()]
    names = {id(i): i.orig_filename for i in entries}
    labels = []
    by_field = {id(i): name for i in unflagged if (name := _unicode_path(i)) is not None}
    if by_field:
        names.update(by_field)
        labels.append("Info-ZIP 的 Unicode 路径字段（UTF-8）")
    rest = [i.orig_filename.encode("cp437") for i in unflagged if id(i) not in by_field]  # the bytes as stored
    if rest:
        encoding, label = next((e, label) for e, label in ENCODINGS if _decodes(rest, e))
        names.update({id(i): i.orig_filename.encode("cp437").decode(encoding)
                      for i in unflagged if id(i) not in by_field})
        labels.append(label)
    note = f"文件名没有标明编码（无 UTF-8 标记），按 {'和'.join(labels)}读出" if labels else None
    return [(names[id(i)], i) for i in entries], note


def _decodes(names: list[bytes], encoding: str) -> bool:
    try:
        for name in names:
            name.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _unicode_path(info: zipfile.ZipInfo) -> str | None:
    """The name in Info-ZIP's Unicode path field, when the field is there and made for this name."""
    extra, stored = info.extra, info.orig_filename.encode("cp437")
    while len(extra) >= 4:
        kind, length = struct.unpack("<2H", extra[:4])
        body, extra = extra[4:4 + length], extra[4 + length:]
        if kind == UNICODE_PATH and len(body) > 5 and body[0] == 1 \
                and struct.unpack("<L", body[1:5])[0] == zlib.crc32(stored):
            try:
                return body[5:].decode("utf-8")
            except UnicodeDecodeError:
                return None
    return None


def _tail(handle, size: int) -> str | None:
    """Bytes after the zip's end record (or a comment in it): casegen writes neither."""
    handle.seek(max(0, size - END_RECORD - 0xFFFF))
    data = handle.read()
    after = len(data) - data.rfind(b"PK\x05\x06") - END_RECORD
    return f"zip 的结尾之后还有 {after} 个字节（别的内容或注释）：{AS_MADE}" if after else None


def _layout(handle, named: list[tuple[str, zipfile.ZipInfo]], start_dir: int) -> str | None:
    """Bytes before the first member, between members (hidden there, or a member's data read
    twice: the overlapping bomb) or before the central directory; None when the members lie back
    to back from the first byte. (zipfile already takes the directory to end at the end record.)"""
    end, previous = 0, None
    for name, info in sorted(named, key=lambda pair: pair[1].header_offset):
        reason = _between(previous, end, info.header_offset, f"文件 {name!r}")
        if reason:
            return reason
        handle.seek(info.header_offset)
        header = handle.read(LOCAL_HEADER)
        if len(header) < LOCAL_HEADER or header[:4] != b"PK\x03\x04":
            return f"不是完好的 zip 文件（文件 {name!r} 的文件头有误）"
        name_length, extra_length = struct.unpack("<2H", header[26:30])
        end, previous = info.header_offset + LOCAL_HEADER + name_length + extra_length + info.compress_size, info
    return _between(previous, end, start_dir, "zip 的目录")


def _between(previous: zipfile.ZipInfo | None, end: int, start: int, what: str) -> str | None:
    gap = start - end
    if gap == 0 or (previous is not None and previous.flag_bits & DESCRIPTOR_FLAG and gap in DESCRIPTOR_SIZES):
        return None
    if previous is None and gap > 0:
        return f"zip 之前有 {gap} 个字节的别的内容（如网页）：{AS_MADE}"
    if gap > 0:
        return f"{what} 之前有 {gap} 个不属于任何文件的字节：{AS_MADE}"
    return f"{what} 与前一个文件在包中重叠，疑为 zip 炸弹"


def _key(name: str) -> str:
    """A name as Windows and macOS compare names: case and Unicode form folded."""
    return unicodedata.normalize("NFC", name).casefold()


def _entries(named: list[tuple[str, zipfile.ZipInfo]], limits: Limits) -> tuple[dict[str, zipfile.ZipInfo], int]:
    """The files by name, every entry checked, and how many folder entries were skipped."""
    files, seen, folders, skipped = {}, {}, {}, 0
    for name, info in named:
        folder = name.endswith("/")
        reason = name_problem(name[:-1] if folder else name) or _check_entry(info, name)
        if reason:
            raise Refused(reason)
        if folder:
            folders.setdefault(_key(name[:-1]), name[:-1])
            skipped += 1
            continue
        if _key(name) in seen:
            raise Refused(f"文件名重复：{name!r}")
        seen[_key(name)], files[name] = name, info
        parts = name.split("/")
        for depth in range(1, len(parts)):
            folders.setdefault(_key("/".join(parts[:depth])), "/".join(parts[:depth]))
        _check_size(name, info, limits)
    clash = next((name for key, name in seen.items() if key in folders), None)
    if clash:
        raise Refused(f"文件 {clash!r} 与文件夹 {folders[_key(clash)] + '/'!r} 同名：同一个名字不能既是文件又是文件夹")
    return files, skipped


def _check_size(name: str, info: zipfile.ZipInfo, limits: Limits) -> None:
    if info.file_size > limits.member_bytes:
        raise Refused(f"文件 {name!r} 解压后 {info.file_size} 字节，超过单个文件上限 {limits.member_bytes}")
    if info.file_size > limits.ratio_floor and info.file_size > limits.ratio * max(info.compress_size, 1):
        raise Refused(f"文件 {name!r} 压缩比异常（{info.compress_size} → {info.file_size} 字节），疑为 zip 炸弹")


def _check_total(total: int, size: int, limits: Limits) -> None:
    """The whole package: a bomb spread over many members, each below the floor, shows here."""
    if total > limits.ratio_floor and total > limits.ratio * size:
        raise Refused(f"解压后共 {total} 字节，是包本身 {size} 字节的 {total // size} 倍（上限 {limits.ratio} 倍），"
                      "疑为 zip 炸弹")
    if total > limits.total_bytes:
        raise Refused(f"解压后共 {total} 字节，超过上限 {limits.total_bytes} 字节")


def _no_manifest(files: dict[str, zipfile.ZipInfo]) -> str:
    tops = {name.split("/")[0] for name in files}
    top = next(iter(tops)) if len(tops) == 1 else None
    if top and f"{top}/{MANIFEST}" in files:
        return (f"缺少清单 manifest.json：包中的文件都在文件夹 {top + '/'!r} 下，像是解开后连同外层文件夹重新压缩的；"
                "请让单位发送 casegen submit 生成的原包")
    return "缺少清单 manifest.json"


def _check_members(archive: zipfile.ZipFile, files: dict[str, zipfile.ZipInfo], size: int,
                   limits: Limits) -> tuple[dict, dict[str, Member]]:
    """The manifest, and every file listed in it, hashed as a stream (nothing written) and
    counted again against the total."""
    if MANIFEST not in files:
        raise Refused(_no_manifest(files))
    chunks: list[bytes] = []
    counted = _read(archive, files[MANIFEST], MANIFEST, limits.manifest_bytes, chunks.append)[0]
    try:
        data = json.loads(b"".join(chunks).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise Refused(f"清单（manifest.json）不是 UTF-8 JSON（{e}）") from None
    manifest = check_manifest(data)
    listed = {m["path"]: Member(m["path"], m["size"], m["sha256"]) for m in manifest["members"]}
    extra = sorted(set(files) - set(listed) - {MANIFEST})
    if extra:
        raise Refused(f"有 {len(extra)} 个文件未列入清单，如 {extra[0]!r}")
    missing = sorted(set(listed) - set(files))
    if missing:
        raise Refused(f"清单所列 {len(missing)} 个文件不在包中，如 {missing[0]!r}")
    for name in sorted(listed):
        if not (name.startswith(CASES + "/") or name in (LEDGER, REPORT)):
            raise Refused(f"文件 {name!r} 不在约定的位置（cases/、{LEDGER}、{REPORT}）")
        member = listed[name]
        if files[name].file_size != member.size:
            raise Refused(f"文件 {name!r} 的大小与清单不符（包中 {files[name].file_size}，清单 {member.size}）")
        read, digest = _read(archive, files[name], name, member.size)
        counted += read
        if counted > limits.total_bytes:
            raise Refused(f"解压后共 {counted} 字节以上，超过上限 {limits.total_bytes} 字节")
        if digest != member.sha256:
            raise Refused(f"文件 {name!r} 的 SHA-256 与清单不符")
    return manifest, listed


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, limit: int, sink=None) -> tuple[int, str]:
    """A member read as a stream: how many bytes and their digest, each chunk handed to `sink`
    when one is given; never more than `limit` bytes, whatever its header declared."""
    hasher, count = hashlib.sha256(), 0
    with archive.open(info) as stream:
        while chunk := stream.read(CHUNK):
            count += len(chunk)
            if count > limit:
                raise Refused(f"文件 {name!r} 解压后超过声明的或允许的大小（{limit} 字节），疑为 zip 炸弹")
            hasher.update(chunk)
            if sink is not None:
                sink(chunk)
    return count, hasher.hexdigest()


def extract_cases(package: Package, folder: Path) -> Path:
    """The package's case folders written under `folder` (which must be empty); the folder
    that holds them. Only names that passed `verify` are written, each checked again."""
    root = folder / CASES
    root.mkdir(parents=True)
    base = folder.resolve()
    with open(package.file, "rb") as handle, zipfile.ZipFile(handle) as archive:
        infos = dict(_names(archive.infolist())[0])
        for name, member in sorted(package.members.items()):
            if not name.startswith(CASES + "/"):
                continue
            target = folder.joinpath(*PurePosixPath(name).parts)
            if not target.resolve().is_relative_to(base):
                raise Refused(f"文件 {name!r} 指向包外")
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "xb") as sink:
                _, digest = _read(archive, infos[name], name, member.size, sink.write)
            if digest != member.sha256:
                raise Refused(f"文件 {name!r} 的 SHA-256 与清单不符（包在核对后被改动）")
    return root


def extract_member(package: Package, name: str, target: Path) -> Path | None:
    """One listed member (the 附件2, say) written to `target` and checked against its hash
    again; None when the package does not hold it."""
    member = package.members.get(name)
    if member is None:
        return None
    with open(package.file, "rb") as handle, zipfile.ZipFile(handle) as archive:
        info = dict(_names(archive.infolist())[0])[name]
        with open(target, "xb") as sink:
            _, digest = _read(archive, info, name, member.size, sink.write)
    if digest != member.sha256:
        raise Refused(f"文件 {name!r} 的 SHA-256 与清单不符（包在核对后被改动）")
    return target
