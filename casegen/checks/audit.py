"""The auditors' cross-checks of evidence: do the photos' own times fit the timeline, is a file
or a picture also in another case, and does the customer's callback confirm the case?

Every answer is a 实证材料 finding (policy.py); nothing here reads a file that `evidence.py` has
not already found sound, and nothing prints.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
from PIL import Image, ImageOps

from casegen.base.errors import Finding
from casegen.case.model import CALLBACK_POINTS, Case, label_of
from casegen.checks.evidence import Item
from casegen.checks.files import PhotoFacts, resolve_inside

if TYPE_CHECKING:
    import numpy.typing as npt

    from casegen.case.derive import Facts
    from casegen.case.load import KeyPath
    from casegen.case.reading import CaseFile
    from casegen.checks.seal import Digests

Grey = Callable[[Path], tuple[Image.Image, Image.Image]]  # a picture upright in grey, and its thumbnail

SLACK = dt.timedelta(days=1)  # a camera set to another time zone is a day off at most
# the window a site photo is taken in (casegen's choice, declared in the rule): a 施工前 photo from
# a few days before acceptance (the customer's survey of the site) to the start of the works, a
# 施工后 photo from their end to a few days after energising
BEFORE_ACCEPTANCE = AFTER_ENERGISING = dt.timedelta(days=7)
# Three tests make "the same picture" (`python bench/bench_photo_pairs.py` measures them):
# two 64-bit hashes find the candidates: copies resized to 50 % or re-encoded at quality 70
# stay within 2 bits of the perceptual hash, cropped by 2 % within 16; in the gradient hash
# within 12; no two of 200 distinct photos are that close in both. The 施工后 photo of the
# same spot, taken from where the 施工前 one was, is as close as a crop; so the candidates are
# then compared block by block, the crop undone: a copy differs by at most 7 grey levels in
# its worst block, a new meter box by 11 or more.
SAME_PICTURE_BITS = 16
SAME_GRADIENT_BITS = 14
SAME_DETAIL_LEVELS = 9.0
MAX_PAIRS_TOLD = 5  # one stock photo in many cases: name five, count the rest


def _finding(rule: str, message: str, case_file: CaseFile, key: KeyPath | None) -> Finding:
    return Finding(rule, message, case_file.path, case_file.line_of(key) if key else None, key,
                   label_of(key) if key else None)


def _day(day: dt.date) -> str:
    return day.isoformat()


def _photo_stage(case_file: CaseFile, item: Item) -> str | None:
    if item.group != "现场图片" or len(item.key) != 3:
        return None
    # a typed case; a photo's key ends in its index
    return cast(Case, case_file.case).evidence.photos[cast(int, item.key[2])].stage


# --- 1. photo times against the timeline -----------------------------------------------------

def photo_time_findings(case_file: CaseFile, items: list[Item]) -> list[Finding]:
    """附件3 五 四 and 通知四（二）3 (现场施工前后图片): a 施工前 photo outside the days from a week
    before acceptance to the start of the works, a 施工后 photo outside the days from the end of
    the works to a week after energising; a photo with no shooting time is said once, as a warning."""
    case = cast(Case, case_file.case)  # typed cases only
    timeline = case.timeline
    works = timeline.construction
    findings = []
    for item in items:
        stage = _photo_stage(case_file, item)
        if stage is None or not item.usable or item.photo is None:
            continue
        taken = item.photo.taken
        if taken is None:
            findings.append(_finding("photo-undated", f"{item.file} 没有可读的拍摄时间（照片文件中没有记下拍摄时间，"
                                     "或记下的无法识别，多为应用压缩时去掉），无法与办理时间核对", case_file, item.key))
            continue
        shot = taken.date()
        shot_text = taken.strftime("%Y-%m-%d %H:%M")
        problems = []
        # without external works the meter is installed on the energising day: that is the works
        works_start, works_end = (works.start, works.end) if works else (timeline.energized, timeline.energized)
        if stage == "施工前" and shot < timeline.accepted - BEFORE_ACCEPTANCE - SLACK:
            problems.append(f"早于受理日 {_day(timeline.accepted)} 前 {BEFORE_ACCEPTANCE.days} 天")
        if stage == "施工前" and shot > works_start + SLACK:
            problems.append(f"晚于施工开始日 {_day(works_start)}")
        if stage == "施工后" and shot < works_end - SLACK:
            problems.append(f"早于施工结束日 {_day(works_end)}")
        if stage == "施工后" and shot > timeline.energized + AFTER_ENERGISING + SLACK:
            problems.append(f"晚于装表接电日 {_day(timeline.energized)} 后 {AFTER_ENERGISING.days} 天")
        if stage not in ("施工前", "施工后") and not (
                timeline.accepted - BEFORE_ACCEPTANCE - SLACK <= shot <= timeline.energized + AFTER_ENERGISING + SLACK):
            problems.append(f"不在受理前 {BEFORE_ACCEPTANCE.days} 天至装表接电后 {AFTER_ENERGISING.days} 天之间"
                            f"（{_day(timeline.accepted)}—{_day(timeline.energized)}）")
        if problems:
            findings.append(_finding("photo-time", f"{stage}照片 {item.file} 拍摄于 {shot_text}（EXIF），"
                                     + "，".join(problems), case_file, item.key))
    return findings


# --- 2. the same file or picture in two places ------------------------------------------------

@dataclass(frozen=True)
class Exhibit:
    """One usable evidence file of one case, with the digest of its bytes."""

    case_file: CaseFile
    item: Item
    sha256: str

    @property
    def where(self) -> str:
        case = cast(Case, self.case_file.case)  # typed cases only; a usable item has its file
        return f"{case.customer.name}（{self.case_file.path.parent / cast(str, self.item.file)}）"

    @property
    def stage(self) -> str | None:
        return _photo_stage(self.case_file, self.item)

    @property
    def path(self) -> Path:
        return self.case_file.path.parent / cast(str, self.item.file)  # a usable item has its file


def exhibits(case_file: CaseFile, items: list[Item], digests: Digests) -> list[Exhibit]:
    """The usable files of a case with their SHA-256 (`seal.Digests`: read once a run, never
    taken from a cache kept between runs)."""
    found = []
    for item in items:
        if not item.usable or item.file is None:
            continue
        real = resolve_inside(case_file.path.parent, item.file)
        try:
            digest = digests.of(cast(Path, real))  # usable: found inside the folder
        except OSError:  # gone since it was inspected: the next check says so
            continue
        found.append(Exhibit(case_file, item, digest))
    return found


def _distances(perceptual: list[int], gradient: list[int]) -> Iterator[tuple[int, int, int]]:
    """Yield (i, j, bits) for every pair i < j close in both hashes; bits = how many of the
    perceptual hash differ (numpy: 2,000 photos make two million pairs)."""
    if len(perceptual) < 2:
        return
    first, second = np.array(perceptual, dtype=np.uint64), np.array(gradient, dtype=np.uint64)
    for i in range(len(first) - 1):
        differing = np.bitwise_count(first[i + 1:] ^ first[i])
        close = (differing <= SAME_PICTURE_BITS) & \
            (np.bitwise_count(second[i + 1:] ^ second[i]) <= SAME_GRADIENT_BITS)
        for offset in np.flatnonzero(close):
            yield i, i + 1 + int(offset), int(differing[offset])


def _by_digest(found: list[Exhibit]) -> list[list[Exhibit]]:
    groups: defaultdict[str, list[Exhibit]] = defaultdict(list)
    for exhibit in found:
        groups[exhibit.sha256].append(exhibit)
    return list(groups.values())


def picture_pairs(groups: list[list[Exhibit]]) -> Iterable[tuple[Exhibit, Exhibit, int]]:
    """Pairs of site photos that are the same picture though not the same bytes (bits = how
    many of the 64 perceptual-hash bits differ); one photo stands for each byte-identical group.
    Only site photos: two customers' screenshots of one app page differ in a few words, which
    a perceptual hash does not see."""
    pictures = [group[0] for group in groups
                if group[0].item.photo is not None and group[0].item.group == "现场图片"]
    grey = functools.lru_cache(maxsize=1024)(_grey)  # a photo in many candidate pairs is decoded once
    facts = [cast(PhotoFacts, p.item.photo) for p in pictures]  # only photos with facts were kept
    for i, j, bits in _distances([f.phash for f in facts], [f.dhash for f in facts]):
        first, second = pictures[i], pictures[j]
        try:
            same = detail_difference(first.path, second.path, grey) <= SAME_DETAIL_LEVELS
        except (OSError, ValueError):  # changed on disk since it was inspected: not a verdict
            continue
        if same:
            yield first, second, bits


THUMB = 64  # side of the grey thumbnails compared, in 8 × 8 blocks
_CROPS = tuple(step / 400 for step in range(13))  # 0–3 % of an edge a copy may have lost, in 0.25 % steps


def _grey(path: Path) -> tuple[Image.Image, Image.Image]:
    """The picture upright in grey, about 256 pixels a side, and its 64 × 64 thumbnail."""
    with Image.open(path) as image:
        image.draft("L", (THUMB * 4, THUMB * 4))  # a JPEG decodes at a fraction of its size
        upright = ImageOps.exif_transpose(image).convert("L")
    upright.thumbnail((THUMB * 4, THUMB * 4), Image.Resampling.BOX)
    return upright, upright.resize((THUMB, THUMB), Image.Resampling.BOX)


def _edges(profile: npt.NDArray[np.float64], target: npt.NDArray[np.float64]) -> tuple[float, float]:
    """The crop (fraction off the start, off the end) of a line of grey means `profile` that
    best matches `target` (the same means across the other picture, THUMB long): every
    candidate's boxes averaged exactly from the running sum, all candidates at once; a coarse
    pass over 0–3 %, then a fine one around its best."""
    length = len(profile)
    running = np.concatenate(([0.0], np.cumsum(profile)))
    steps = np.linspace(0.0, 1.0, THUMB + 1)

    def best_of(starts: Iterable[float], ends: Iterable[float]) -> tuple[float, float]:
        crops = np.array([(start, end) for start in starts for end in ends])
        edges = (crops[:, :1] + steps * (1 - crops[:, :1] - crops[:, 1:])) * length
        sums = np.interp(edges, np.arange(length + 1), running)
        means = np.diff(sums, axis=1) / np.diff(edges, axis=1)
        best = int(np.abs(means - target).mean(axis=1).argmin())
        return float(crops[best, 0]), float(crops[best, 1])

    start, end = best_of(_CROPS, _CROPS)
    fine = np.linspace(-0.0025, 0.0025, 11)
    return best_of(np.clip(start + fine, 0, None), np.clip(end + fine, 0, None))


def detail_difference(first: Path, second: Path, grey: Grey = _grey) -> float:
    """How differently two pictures look in their worst block (mean grey levels over an 8 × 8
    block of 64 × 64 thumbnails), after undoing a crop of up to 3 % on any edge of either
    (found from the row and column means): a copy scores 0–7, the same spot with a new meter
    box 11 or more."""
    best = float("inf")
    pictures = [grey(first), grey(second)]
    for (_, thumb), (whole, _) in (pictures, pictures[::-1]):
        target = np.asarray(thumb, dtype=np.float64)
        pixels = np.asarray(whole, dtype=np.float64)
        left, right = _edges(pixels.mean(axis=0), target.mean(axis=0))
        top, bottom = _edges(pixels.mean(axis=1), target.mean(axis=1))
        width, height = whole.size
        box = (left * width, top * height, width * (1 - right), height * (1 - bottom))
        candidate = np.asarray(whole.resize((THUMB, THUMB), Image.Resampling.BOX, box=box),
                               dtype=np.float64)
        blocks = np.abs(candidate - target).reshape(8, THUMB // 8, 8, THUMB // 8).mean(axis=(1, 3))
        best = min(best, float(blocks.max()))
    return best


def duplicate_findings(found: list[Exhibit]) -> dict[Path, list[Finding]]:
    """Findings by case file: a file or picture that also stands in another case (said on both
    cases), and a 施工前 photo that is the 施工后 photo of the same case. A file copied into
    hundreds of cases costs each of them a few names, not hundreds."""
    findings: dict[Path, list[Finding]] = defaultdict(list)
    told: dict[tuple[Path, KeyPath], list[str]] = defaultdict(list)  # (case path, item key) → what it matches
    counted: dict[tuple[Path, KeyPath], int] = defaultdict(int)
    exhibit_at: dict[tuple[Path, KeyPath], Exhibit] = {}

    def same_picture_twice(first: Exhibit, second: Exhibit, how: str) -> None:
        if {first.stage, second.stage} == {"施工前", "施工后"}:
            message = f"施工前照片 {_file(first, second, '施工前')} 与施工后照片 " \
                      f"{_file(first, second, '施工后')} {how}：施工前后须是两张照片"
            findings[first.case_file.path].append(_finding("before-after", message, first.case_file, first.item.key))

    def tell(this: Exhibit, others: Iterable[Exhibit], total: int, how: str) -> None:
        at = (this.case_file.path, this.item.key)
        exhibit_at[at] = this
        counted[at] += total
        room = MAX_PAIRS_TOLD - len(told[at])
        told[at] += [f"与另一案例 {other.where} {how}" for other in itertools.islice(others, max(room, 0))]

    identical = "完全相同（SHA-256 一致）"
    groups = _by_digest(found)
    for group in groups:
        if len(group) < 2:
            continue
        in_case: defaultdict[Path, list[Exhibit]] = defaultdict(list)
        for exhibit in group:
            in_case[exhibit.case_file.path].append(exhibit)
        for members in in_case.values():
            for i, first in enumerate(members):
                for second in members[i + 1:]:
                    same_picture_twice(first, second, identical)
        for exhibit in group:
            others = (o for o in group if o.case_file is not exhibit.case_file)
            total = len(group) - len(in_case[exhibit.case_file.path])
            if total:
                tell(exhibit, others, total, identical)
    for first, second, bits in picture_pairs(groups):
        how = f"是同一张照片（感知哈希相差 {bits}/64 位：缩放、重新压缩或裁剪过的副本）"
        if first.case_file is second.case_file:
            same_picture_twice(first, second, how)
            continue
        tell(first, [second], 1, how)
        tell(second, [first], 1, how)
    for at, matches in told.items():
        this = exhibit_at[at]
        more = counted[at] - len(matches)
        tail = f"；另有 {more} 处相同" if more > 0 else ""
        findings[at[0]].append(_finding("duplicate-evidence", f"{this.item.name} {this.item.file} "
                                        f"{'；'.join(matches)}{tail}", this.case_file, at[1]))
    return findings


def _file(first: Exhibit, second: Exhibit, stage: str) -> str | None:
    return first.item.file if first.stage == stage else second.item.file


# --- 3. the callback -----------------------------------------------------------------------------

def callback_findings(case_file: CaseFile) -> list[Finding]:
    """A callback recorded in the case, as a cross-check (通知四（二）3 “确保数据核查回访结果准确”):
    made after energising, and what the customer did not confirm, against what the case says.
    Callbacks are the 客服中心's sample (四（二）2): a case without one lacks nothing (the 附件3
    evidence list has no callback record)."""
    case = cast(Case, case_file.case)  # typed cases only
    callback = case.callback
    if callback is None:
        return []
    findings = []
    if callback.date > dt.date.today():
        findings.append(_finding("callback-date", f"回访日期 {_day(callback.date)} 晚于今天："
                                 "回访记录的是已经做过的回访", case_file, ("callback", "date")))
    if callback.date < case.timeline.energized:
        findings.append(_finding("callback-date", f"回访日期 {_day(callback.date)} 早于装表接电日 "
                                 f"{_day(case.timeline.energized)}：回访核对的是已接电的结果",
                                 case_file, ("callback", "date")))
    for key, point in CALLBACK_POINTS.items():
        answer = getattr(callback, key)
        if answer is not None and not answer.confirmed:
            words = f"客户说“{answer.words}”" if answer.words else "未记录客户原话"
            findings.append(_finding("callback-contradicts", f"回访中客户不认可“{point}”：{words}；"
                                     f"案例写的是：{_claim(case_file, key)}", case_file,
                                     ("callback", key)))
    return findings


def _claim(case_file: CaseFile, point: str) -> str:
    """What the case says on a callback point, in the words of the document."""
    case, facts = cast(Case, case_file.case), cast("Facts", case_file.facts)  # a typed case has its facts
    if point == "steps":
        contacts = case.application.contacts
        told = f"，与客户交互 {contacts} 次" if contacts is not None else ""
        return f"“申请签约、施工接电”2 个环节{told}"
    if point == "time":
        return (f"{_day(case.timeline.accepted)} 受理，{_day(case.timeline.energized)} 接电，"
                f"接电周期 {facts.working_days} 个工作日")
    project = case.project
    paid = "未填写" if project.customer_cost_yuan is None else f"{project.customer_cost_yuan:g} 元"
    funding = f"，工程资金来源：{project.funding}" if project.funding else ""
    return f"客户红线外出资 {paid}{funding}"
