"""A submission package: one zip per unit and period, made reproducibly, and read back trusting
nothing in it.

Layout (all names relative, POSIX, sorted; every entry dated 1980-01-01 00:00:00, mode 0644):

    cases/<case folder>/…   each case folder of the period: its case file and evidence
    manifest.json           format, unit, period, time made, casegen version, every member's
                            path, size and SHA-256, and per case its folder, 户号, name, counts
    附件2.xlsx              the period's 附件2 (docProps dates set to the time made)
    统计.html               the period's report page (its “生成于” set to the time made)

`verify` refuses a package, with the reason in Chinese, for any member not in the manifest or
listed and missing, a wrong size or hash, an absolute path, `..`, a link or other non-regular
entry, a duplicate name, sizes beyond the limits or a ratio only a zip bomb has, or a manifest
that is not what casegen writes. Declared sizes are checked before anything is read, and the
bytes are counted again while reading.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from casegen.base.writing import atomic_path, safe_name

FORMAT = 1
MANIFEST, LEDGER, REPORT, CASES = "manifest.json", "附件2.xlsx", "统计.html", "cases"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
CHUNK = 1 << 20
BEIJING = dt.timezone(dt.timedelta(hours=8), "北京时间")


@dataclass(frozen=True)
class Limits:
    """What a package may not exceed; a unit's two weeks of cases are far below all of it."""

    zip_bytes: int = 4 << 30  # the zip file itself
    members: int = 20_000
    member_bytes: int = 512 << 20  # one file, uncompressed
    total_bytes: int = 4 << 30  # all files, uncompressed
    ratio: int = 200  # uncompressed / compressed, for members over ratio_floor bytes
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
FIRST_DAY, LAST_DAY = dt.date(2019, 1, 1), dt.date(2199, 12, 31)  # the notice is of 2019
MAX_DEPTH, MAX_NAME = 16, 1000  # a case folder's files lie a few levels deep; a name is a path, not a story
HEAD_KEYS = {"format": int, "unit": str, "period": dict, "made": str, "casegen": str, "members": list, "cases": list}


def _check_name(name: str) -> str | None:
    """Why a member name is refused, or None."""
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
    return None


def _check_entry(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    if info.is_dir():
        return f"含文件夹条目（包中只应有普通文件）：{name!r}"
    mode = info.external_attr >> 16
    if mode and info.create_system == 3:
        if stat.S_ISLNK(mode):
            return f"含符号链接：{name!r}"
        if stat.S_IFMT(mode) and not stat.S_ISREG(mode):  # no type bits: a plain file (Python writes those)
            return f"含非普通文件（设备、管道等）：{name!r}"
    if info.flag_bits & 0x1:
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
    if not FIRST_DAY <= day <= LAST_DAY:
        raise Refused(f"清单（manifest.json）有误：{what} {day} 不在 {FIRST_DAY} 至 {LAST_DAY} 之间")
    return day


def check_manifest(data: object) -> dict:
    """The manifest, as casegen writes it, or Refused with what is wrong."""
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
    period = data["period"]
    start, end = _date(period.get("from"), "period.from"), _date(period.get("to"), "period.to")
    if end < start:
        raise Refused(bad + f"期间结束 {end} 早于开始 {start}")
    try:
        made = dt.datetime.fromisoformat(data["made"])
    except ValueError:
        raise Refused(bad + f"生成时间 {data['made']!r} 不是 ISO 8601 时间") from None
    if made.tzinfo is None:
        raise Refused(bad + "生成时间没有时区")
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
        names, folded, total = {}, set(), 0
        for info in entries:
            reason = _check_name(info.filename) or _check_entry(info)
            if reason:
                raise Refused(reason)
            key = unicodedata.normalize("NFC", info.filename).casefold()
            if info.filename in names or key in folded:
                raise Refused(f"文件名重复：{info.filename!r}")
            names[info.filename] = info
            folded.add(key)
            if info.file_size > limits.member_bytes:
                raise Refused(f"文件 {info.filename!r} 解压后 {info.file_size} 字节，"
                              f"超过单个文件上限 {limits.member_bytes}")
            if info.file_size > limits.ratio_floor and info.file_size > limits.ratio * max(info.compress_size, 1):
                raise Refused(f"文件 {info.filename!r} 压缩比异常（{info.compress_size} → {info.file_size} 字节），"
                              "疑为 zip 炸弹")
            total += info.file_size
        if total > limits.total_bytes:
            raise Refused(f"解压后共 {total} 字节，超过上限 {limits.total_bytes}")
        if MANIFEST not in names:
            raise Refused("缺少清单 manifest.json")
        raw = _read(archive, names[MANIFEST], limits.manifest_bytes, None)[0]
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
            raise Refused(f"清单（manifest.json）不是 UTF-8 JSON（{e}）") from None
        manifest = check_manifest(data)
        listed = {m["path"]: Member(m["path"], m["size"], m["sha256"]) for m in manifest["members"]}
        extra = sorted(set(names) - set(listed) - {MANIFEST})
        if extra:
            raise Refused(f"有 {len(extra)} 个文件未列入清单，如 {extra[0]!r}")
        missing = sorted(set(listed) - set(names))
        if missing:
            raise Refused(f"清单所列 {len(missing)} 个文件不在包中，如 {missing[0]!r}")
        for name in sorted(listed):
            if not (name.startswith(CASES + "/") or name in (LEDGER, REPORT)):
                raise Refused(f"文件 {name!r} 不在约定的位置（cases/、{LEDGER}、{REPORT}）")
            member = listed[name]
            if names[name].file_size != member.size:
                raise Refused(f"文件 {name!r} 的大小与清单不符（包中 {names[name].file_size}，清单 {member.size}）")
            _, digest = _read(archive, names[name], member.size, None)
            if digest != member.sha256:
                raise Refused(f"文件 {name!r} 的 SHA-256 与清单不符")
    return Package(path, sha, size, manifest, listed)


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, sink) -> tuple[bytes, str]:
    """A member's bytes (kept only when no `sink` is given) and digest; never more than
    `limit` bytes, whatever its header declared."""
    hasher, count, kept = hashlib.sha256(), 0, []
    with archive.open(info) as stream:
        while chunk := stream.read(CHUNK):
            count += len(chunk)
            if count > limit:
                raise Refused(f"文件 {info.filename!r} 解压后超过声明的或允许的大小（{limit} 字节），疑为 zip 炸弹")
            hasher.update(chunk)
            if sink is None:
                kept.append(chunk)
            else:
                sink.write(chunk)
    return b"".join(kept) if sink is None else b"", hasher.hexdigest()


def extract_cases(package: Package, folder: Path) -> Path:
    """The package's case folders written under `folder` (which must be empty); the folder
    that holds them. Only names that passed `verify` are written, each checked again."""
    root = folder / CASES
    root.mkdir(parents=True)
    base = folder.resolve()
    with open(package.file, "rb") as handle, zipfile.ZipFile(handle) as archive:
        for name, member in sorted(package.members.items()):
            if not name.startswith(CASES + "/"):
                continue
            target = folder.joinpath(*PurePosixPath(name).parts)
            if not target.resolve().is_relative_to(base):
                raise Refused(f"文件 {name!r} 指向包外")
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "xb") as sink:
                _, digest = _read(archive, archive.getinfo(name), member.size, sink)
            if digest != member.sha256:
                raise Refused(f"文件 {name!r} 的 SHA-256 与清单不符（包在核对后被改动）")
    return root


def extract_member(package: Package, name: str, target: Path) -> Path | None:
    """One listed member (the 附件2, say) written to `target` and checked against its hash
    again; None when the package does not hold it."""
    member = package.members.get(name)
    if member is None:
        return None
    with open(package.file, "rb") as handle, zipfile.ZipFile(handle) as archive, open(target, "xb") as sink:
        _, digest = _read(archive, archive.getinfo(name), member.size, sink)
    if digest != member.sha256:
        raise Refused(f"文件 {name!r} 的 SHA-256 与清单不符（包在核对后被改动）")
    return target
