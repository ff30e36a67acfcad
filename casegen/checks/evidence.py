"""实证材料: which evidence a case needs, and whether each declared file is there and sound."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from casegen.base.errors import Finding
from casegen.base.writing import safe_name
from casegen.case.model import Case, label_of
from casegen.checks.files import Missing, PhotoCache, PhotoFacts, examine

if TYPE_CHECKING:
    from casegen.case.load import KeyPath
    from casegen.case.reading import CaseFile

# (group, name, key path, required, applicable, declared file)
RequiredItem = tuple[str, str, "KeyPath", bool, bool, str | None]

PROVIDED, MISSING, NOT_APPLICABLE, BROKEN, GENERATED = "已提供", "缺失", "不适用", "有问题", "自动生成"


@dataclass(frozen=True)
class Item:
    group: str
    name: str
    key: KeyPath  # where it is declared in the case file
    required: bool
    applicable: bool
    file: str | None
    status: str
    problem: str | None = None
    photo: PhotoFacts | None = None  # shooting time and perceptual hash, when asked for

    @property
    def usable(self) -> bool:
        return self.status == PROVIDED

    @property
    def is_gap(self) -> bool:
        """Required and not usable."""
        return self.required and self.status in (MISSING, BROKEN)


# 附件3 五: each item named in the template's own words (the 客服中心 compares cases by them)
APPLICATION = "客户申请（线下申请的须提供客户签字或鲜章的申请报告）"
ACCEPTANCE = "受理申请工单（线下申请的提供 SG186 截图、线上申请的提供掌电截图）"
SKETCH_ITEM = "工程简图（须包含工程量和建设资金）"
PERMIT_ITEM = "行政审批表、单据或相关政府部门的意见回复等"
STAGES = ("施工前", "施工后")  # 通知四（二）3：“现场施工前后图片”, whatever the kind


def _system_orders(case: Case) -> Iterator[tuple[str, str, str | None]]:
    orders = case.evidence.system_orders
    yield "application", APPLICATION, orders.application
    yield "acceptance", ACCEPTANCE, orders.acceptance
    yield "supply_plan", "供电方案工单", orders.supply_plan
    yield "energizing", "装表接电工单", orders.energizing


def required_items(case: Case, has_works: bool) -> Iterator[RequiredItem]:
    """(group, name, key path, required, applicable, declared file) for every item of the seed."""
    for key, name, file in _system_orders(case):
        yield "系统工单", name, ("evidence", "system_orders", key), True, True, file
    docs = case.evidence.construction
    for key, name, file in (("estimate_cover", "工程概算封面", docs.estimate_cover),
                            ("estimate_notes", "编制说明", docs.estimate_notes)):
        yield "工程建设内容", name, ("evidence", "construction", key), has_works, has_works, file
    # road digging always has a permit; a permit step of another kind needs its papers too
    needed = case.project.kind.digs or (has_works and case.timeline.permit is not None)
    permits = case.evidence.permits
    if permits:
        for index, file in enumerate(permits):
            yield "行政审批", PERMIT_ITEM, ("evidence", "permits", index), needed, True, file
    else:
        yield "行政审批", PERMIT_ITEM, ("evidence", "permits"), needed, needed, None
    yield from _photo_items(case)


def _photo_name(stage: str) -> str:
    return "现场图片" if stage in ("其他", "现场") else f"{stage}图片"


def _photo_items(case: Case) -> Iterator[RequiredItem]:
    photos = case.evidence.photos
    stages = {p.stage for p in photos}
    for index, photo in enumerate(photos):
        name = f"{_photo_name(photo.stage)}：{photo.caption}" if photo.caption else \
            _photo_name(photo.stage)
        yield "现场图片", name, ("evidence", "photos", index), True, True, photo.file
    for stage in STAGES:
        if stage not in stages:
            yield "现场图片", _photo_name(stage), ("evidence", "photos"), True, True, None


def sketch_file_name(case: Case) -> str:
    """The name render gives the sketch (a clash of customer names adds the 户号 there)."""
    return f"{safe_name(case.customer.name)}_工程建设简图.png"


def checklist(case: Case, folder: Path, *, has_works: bool, sketch_file: str | None = None,
              photos: PhotoCache | None = None) -> list[Item]:
    """Every evidence item with its status; the generated sketch counts as provided. With
    `photos`, each sound image also carries its shooting time and perceptual hash."""
    items = []
    for group, name, key, required, applicable, file in required_items(case, has_works):
        if not applicable:
            items.append(Item(group, name, key, False, False, file, NOT_APPLICABLE))
            continue
        if file is None:
            items.append(Item(group, name, key, required, True, None, MISSING))
            continue
        problem, facts = examine(folder, file, photos)
        status = PROVIDED if problem is None else MISSING if isinstance(problem, Missing) else BROKEN
        items.append(Item(group, name, key, required, True, file, status, problem, facts))
    if has_works:
        position = max(i for i, item in enumerate(items) if item.group == "工程建设内容") + 1
        items.insert(position, Item("工程建设内容", SKETCH_ITEM,
                                    ("grid",), True, True, sketch_file or sketch_file_name(case),
                                    GENERATED))
    return items


def evidence_findings(items: list[Item], case_file: CaseFile) -> list[Finding]:
    """The checklist's gaps, and photos that do not show what the notice asks, as findings with
    the place they are declared (or should be)."""
    findings = []
    for item in items:
        if item.status not in (MISSING, BROKEN):
            continue
        if item.required:
            rule = "evidence-missing" if item.status == MISSING and item.file is None \
                else "evidence-broken"
        else:
            rule = "evidence-unusable"
        what = f"{item.group}·{item.name}"
        message = (f"缺少 {what}" if item.file is None else f"{what}：{item.problem}")
        findings.append(_finding(rule, message, case_file, item.key))
    for message, key in unmarked_photos(cast(Case, case_file.case)):  # typed cases only
        findings.append(_finding("evidence-unmarked", message, case_file, key))
    return findings


def _finding(rule: str, message: str, case_file: CaseFile, key: KeyPath) -> Finding:
    return Finding(rule, message, case_file.path, case_file.line_of(key), key, label_of(key))


METER_WORDS = ("表", "计量")


def unmarked_photos(case: Case) -> Iterator[tuple[str, KeyPath]]:
    """附件3 五 四: "图片上须注明工程建设范围、表计安装位置": each photo carries a mark, and one of
    them marks the meter."""
    photos = case.evidence.photos
    for index, photo in enumerate(photos):
        if not photo.marks:
            yield (f"第 {index + 1} 张图片没有标注：须注明工程建设范围、表计安装位置（marks）",
                   ("evidence", "photos", index))
    labels = [mark.label for photo in photos for mark in photo.marks]
    if labels and not any(word in label for label in labels for word in METER_WORDS):
        yield ("没有一张图片标注表计安装位置：请在表箱所在的照片上加一个含“表箱”或“表计”的标注",
               ("evidence", "photos"))
