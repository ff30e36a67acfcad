"""The case file contract (the README's 案例文件的键): every field typed, labelled in Chinese and
documented once.

Values arrive as text from `load`; the types here decide what they mean. The labels and examples
declared with each field feed the error messages, the scaffold (`casegen new`) and the README table.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections.abc import Callable, Iterator
from enum import StrEnum
from functools import cache
from pathlib import Path, PurePosixPath
from types import UnionType
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, cast, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from casegen.base.errors import CaseError, Finding

if TYPE_CHECKING:  # for annotations only: the model does not need the YAML reader at run time
    from casegen.case.load import KeyPath


class Kind(StrEnum):
    """The three kinds of the notice (二（二）), each with its works, digging and time limit."""

    NO_WORKS = "无外线"
    WORKS = "有外线无掘路"
    DIGGING = "有外线有掘路"

    @property
    def has_works(self) -> bool:
        return self is not Kind.NO_WORKS

    @property
    def digs(self) -> bool:
        return self is Kind.DIGGING

    @property
    def limit_days(self) -> int:
        """Working days from acceptance to energising (通知二（二）: 4, 10, 15)."""
        return {Kind.NO_WORKS: 4, Kind.WORKS: 10, Kind.DIGGING: 15}[self]

    @classmethod
    def of(cls, *, works: bool, digging: bool) -> Kind:
        return cls.DIGGING if digging else cls.WORKS if works else cls.NO_WORKS


KINDS = tuple(k.value for k in Kind)
# The notice names 掌上电力 and 渝快办 "等" (an open list; 网上国网 is 掌上电力's successor) online,
# and the two halls offline. Another channel is accepted with a hint.
ONLINE_CHANNELS = ("掌上电力", "网上国网", "渝快办")
OFFLINE_CHANNELS = ("行政服务大厅", "供电营业厅")
CHANNELS = ONLINE_CHANNELS + OFFLINE_CHANNELS
_OFFLINE_WORDS = ("厅", "线下", "现场", "柜台", "窗口")


def is_online(channel: str) -> bool:
    """Online unless it is one of the halls, or reads like an office counter."""
    if channel in CHANNELS:
        return channel in ONLINE_CHANNELS
    return not any(word in channel for word in _OFFLINE_WORDS)
EXCLUSIONS = {
    1: "临时用电",
    2: "市政公用设施用电",
    3: "小区整体开发项目",
    4: "商业综合体、写字楼内局部报装",
    5: "高可靠性要求客户",
    6: "高压改低压并装表到户",
    7: "人为拆分同一地块批量建设项目",
    8: "同一客户同一地址销户后一年内申请新装",
}
# the keys of ELEMENT_KINDS, in its order, spelt out so a type checker can read them
ElementKind = Literal["transformer", "overhead", "cable", "pole", "branch_box", "switch", "cabinet"]
ELEMENT_KINDS = {
    "transformer": "配变",
    "overhead": "架空线",
    "cable": "电缆",
    "pole": "杆",
    "branch_box": "电缆分支箱",
    "switch": "开关",
    "cabinet": "低压柜",
}
# what a person sees for the contract's English values (the form's options, messages); the case
# file keeps the keys
SHAPES = {"arrow": "箭头", "box": "方框"}
VALUE_LABELS = {**ELEMENT_KINDS, **SHAPES}
if get_args(ElementKind) != tuple(ELEMENT_KINDS):  # mypy reads the Literal; users read the labels
    raise TypeError("ElementKind and ELEMENT_KINDS must list the same kinds, in the same order")
LINE_KINDS = ("overhead", "cable")
MAX_ROUTE = 8


def _err(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message)


def _at(key: str, message: str) -> PydanticCustomError:
    """An error of a list item's field found by the item's own validator: its finding is placed at
    that field and begins with the item's place (接入路径第 2 项（电缆）须填写长度（米））."""
    return PydanticCustomError("item_field", message, {"field": key})


# --- value types: text in, typed value out, Chinese messages on failure -----------------------

def parse_bool(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "是", "有", "y"):
        return True
    if text in ("false", "no", "否", "无", "n"):
        return False
    raise _err("bool", f"应为 是 或 否（true/false），实际为 \"{value}\"")


def parse_number(value: Any) -> Any:
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    text = str(value).strip().replace(",", "").replace("，", "")
    try:
        number = float(text)
    except ValueError:
        with_unit = _WITH_UNIT.fullmatch(text)
        if with_unit:
            raise _err("number", f"只写数字：{with_unit.group(1)}（单位见说明），实际为 \"{value}\"") from None
        raise _err("number", f"应为数字，实际为 \"{value}\"") from None
    if not math.isfinite(number):
        raise _err("number", f"应为有限的数字，实际为 \"{value}\"")
    return number


_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
# the dates a case can hold: the policy is of 2019; a year 1 or 9999 is a typing mistake
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2099, 12, 31)
_OTHER_DATE = re.compile(r"^(\d{4})\s*[/.年]\s*(\d{1,2})\s*[/.月]\s*(\d{1,2})\s*日?$")
# a number written with its unit: 140kW, 45 米, 3.2万元
_WITH_UNIT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:kW|KW|kw|千瓦|kVA|KVA|kva|千伏安|m|M|米|元|万元|%|％|次)")


def parse_date(value: Any) -> Any:
    if value is None or isinstance(value, dt.date):
        return value
    match = _DATE.match(str(value).strip())
    if not match:
        other = _OTHER_DATE.match(str(value).strip())
        if other:
            year, month, day_no = (int(part) for part in other.groups())
            raise _err("date", f"应写作 {year:04d}-{month:02d}-{day_no:02d}，实际为 \"{value}\"")
        raise _err("date", f"应为 YYYY-MM-DD 格式的日期，实际为 \"{value}\"")
    try:
        day = dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise _err("date", f"不是有效的日期：\"{value}\"") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise _err("date", f"应在 {FIRST_DAY.year}–{LAST_DAY.year} 年之间，实际为 \"{value}\"")
    return day


def _parse_ratio(value: Any) -> Any:
    """Load rate as 0.46 or "46%"."""
    if value is None:
        return value
    text = str(value).strip()
    if text.endswith(("%", "％")):
        number = parse_number(text[:-1])
        return number / 100
    number = parse_number(text)
    if number > 1.5:
        raise _err("ratio", f"负荷率应写成 0.46 或 \"46%\"，实际为 \"{value}\"")
    return number


_VOLTAGE = re.compile(r"(\d+(?:\.\d+)?)(V|KV|伏|千伏)")


def _parse_voltage(value: Any) -> Any:
    if value is None:
        return value
    text = str(value).strip().replace(" ", "").upper()
    match = _VOLTAGE.fullmatch(text)
    if not match:
        raise _err("voltage", f"应为电压，如 220V、380V 或 0.4kV，实际为 \"{value}\"")
    number, unit = match.groups()
    unit = "kV" if unit in ("KV", "千伏") else "V"
    return f"{number}{unit}"


def volts(supply: str) -> float:
    """380V → 380, 0.4kV → 400."""
    # a supply is a Voltage, which _parse_voltage has already written in this form
    match = cast(re.Match[str], re.fullmatch(r"(\d+(?:\.\d+)?)(V|kV)", supply))
    number = float(match.group(1))
    return number * 1000 if match.group(2) == "kV" else number


def phases(supply: str) -> str:
    """220V (230V) is single-phase; 380V / 400V / 0.4kV three-phase (通知三（二）, 附件3)."""
    return "单相" if volts(supply) < 300 else "三相"


def _parse_exclusion(value: Any) -> Any:
    text = str(value).strip()
    if text.isdigit() and int(text) in EXCLUSIONS:
        return int(text)
    for number, name in EXCLUSIONS.items():
        if text and (text in name or name in text):
            return number
    raise _err("exclusion", f"应为 1–8 的序号或情形名称（如 临时用电），实际为 \"{value}\"")


def _parse_relpath(value: Any) -> Any:
    if value is None:
        return value
    if not isinstance(value, str):
        raise _err("path", f"应为一个文件路径（文字），实际为{_TYPE_NAMES.get(type(value), '其他')}")
    text = value.strip().replace("\\", "/")
    path = PurePosixPath(text)
    if path.is_absolute() or re.match(r"^[A-Za-z]:", text):
        raise _err("path", f"应为相对于案例文件的路径，实际为绝对路径 \"{value}\"")
    depth = 0
    for part in path.parts:
        depth += -1 if part == ".." else 0 if part == "." else 1
        if depth < 0:
            raise _err("path", f"路径不能离开案例所在文件夹：\"{value}\"")
    return text


def _listify(value: Any) -> Any:
    """An empty value where a list is expected means an empty list."""
    return [] if value is None else value


def as_date_range(value: Any) -> Any:
    """A range is [start, end]; a single date means one day."""
    if isinstance(value, list):
        if len(value) != 2:
            raise _err("range", f"应为 [开始日期, 结束日期] 两个日期，实际有 {len(value)} 个")
        return {"start": value[0], "end": value[1]}
    if isinstance(value, str | dt.date):
        return {"start": value, "end": value}
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Bool = Annotated[bool, BeforeValidator(parse_bool)]
Number = Annotated[float, BeforeValidator(parse_number)]
Date = Annotated[dt.date, BeforeValidator(parse_date)]
Ratio = Annotated[float, BeforeValidator(_parse_ratio)]
Voltage = Annotated[str, BeforeValidator(_parse_voltage)]
RELATIVE_PATH = BeforeValidator(_parse_relpath)
RelPath = Annotated[str, RELATIVE_PATH]
Exclusion = Annotated[int, BeforeValidator(_parse_exclusion)]


def field(label: str, doc: str, example: Any = None, **kwargs: Any) -> Any:
    """A contract field: Chinese label, one-line doc, and the example the scaffold writes."""
    extra = {"example": example} if example is not None else {}
    return Field(title=label, description=doc, json_schema_extra=extra, **kwargs)


def optional(label: str, doc: str, example: Any = None, **kwargs: Any) -> Any:
    """A field that may be left out or left empty."""
    return field(label, doc, example, default=None, **kwargs)


class Section(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _blank_means_absent(cls, data: Any) -> Any:
        """`key:` left empty (or a section all of whose keys are) is as if it were left out:
        defaults apply, required keys are named."""
        return filled(cls, data)


def filled(model: type[BaseModel], data: Any) -> Any:
    """A section's data without what was left empty: an optional section left all empty is
    absent; a required one is kept empty, so that each of its required keys is named."""
    if not isinstance(data, dict):
        return data
    kept = {}
    for key, value in data.items():
        info = model.model_fields.get(key)
        if value is None or (blank(value) and (info is None or not info.is_required())):
            continue
        kept[key] = value
    return kept


def blank(value: Any) -> bool:
    """Nothing written: an empty value, or a section whose keys are all left empty (a new case's
    callback: 回访日期、回访方式、回访人 waiting for the 客服中心)."""
    return value is None or (isinstance(value, dict) and all(blank(v) for v in value.values()))


class DateRange(Section):
    start: Date = field("开始日期", "range start")
    end: Date = field("结束日期", "range end")

    @model_validator(mode="after")
    def _forward(self) -> DateRange:
        if self.end < self.start:
            raise _err("range", f"结束日期 {self.end} 早于开始日期 {self.start}")
        return self


Range = Annotated[DateRange, BeforeValidator(as_date_range)]


# --- the sections of a case -------------------------------------------------------------------

class Unit(Section):
    company: Text = field("供电单位", "供电单位全称", "国网重庆市电力公司市区供电分公司")
    station: Text = field("所在单位", "所在单位 / 供电所", "解放碑供电所")
    customer_manager: Text | None = optional("营销客户经理", "“1+1”营销客户经理，可省略", "张某")
    project_manager: Text | None = optional("配电项目经理", "“1+1”配电项目经理，可省略", "李某")
    service_area: Text | None = optional("服务片区", "服务片区（行政区域），附件1 用，可省略",
                                      "渝中区解放碑街道")
    integrated: Bool | None = optional("是否营配融合", "营配融合执行“一岗双责”，附件1 用，可省略",
                                    False)


class Customer(Section):
    name: Text = field("户名", "客户名称（营业执照上的名称）", "重庆某某餐饮管理有限公司")
    account_no: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z-]{4,20}$")] = field(
        "户号", "营销系统户号，按文字保存（保留开头的 0）", "5012345678")
    address: Text = field("用电地址", "依次写 市、区/县、镇/街道/路、门牌号，不用“-”分隔",
        "重庆市渝北区龙溪街道金山路18号")
    phone: Annotated[str, StringConstraints(pattern=r"^[0-9+\- ]{5,20}$")] | None = optional(
        "联系电话", "可省略；按文字保存（保留开头的 0）", "13800000000")
    small_micro: Bool = field("是否小微企业", "是 或 否", True)
    industry: Text = field("行业分类", "如 餐饮业、零售业", "餐饮业")
    purpose: Text = field("电力用途", "如 火锅店经营用电", "火锅店经营用电")
    electricity_category: Text = field("用电类别", "如 一般工商业（居民不适用）", "一般工商业")
    area: Literal["城市", "农村"] = field("城乡类别", "城市 或 农村", "城市")
    business_licence: Bool = field("营业执照", "是否提供营业执照", True)


class Application(Section):
    date: Date = field("申请日期", "申请签约 = 业务受理时间", "2019-11-04")
    channel: Text = field("申请方式", " | ".join(CHANNELS) + "（通知列举“等”，其他渠道也可写）",
                          "网上国网")
    business_type: Literal["新装", "增容"] = field("业务类型", "新装 或 增容", "新装")
    capacity_kw: Number = field("申请容量", "千瓦（= 千伏安）；增容时为本次增加的容量", 50, gt=0, le=1e6)
    existing_capacity_kw: Number | None = optional(
        "原有容量", "增容时填写增容前的容量（千瓦），核对增容后的需用容量不超过 160", None, ge=0, le=1e6)
    supply: Voltage = field("供电电压", "220V（单相）或 380V（三相）；0.4 千伏及以下", "380V")
    contacts: Annotated[int, BeforeValidator(parse_number)] | None = optional(
        "交互次数", "业务办理全程与客户的交互次数（通知：不超过 2 次）", 2, ge=0, le=1000)
    exclusions: Annotated[list[Exclusion], BeforeValidator(_listify)] = field(
        "不适用情形", "八种投资界面不适用情形，写序号或名称；没有则留空", None, default_factory=list)


class Transformer(Section):
    name: Text = field("配变名称", "供电的公用配变", "解放碑3号公用配变")
    capacity_kva: Number = field("配变容量", "千伏安", 400, gt=0, le=1e6)
    load_rate: Ratio = field("负荷率", "0.46 或 \"46%\"", 0.46, ge=0, le=1.5)
    action: Literal["无", "新增", "更换"] = field("配变改造", "无 | 新增 | 更换", "无")
    new_capacity_kva: Number | None = optional(
        "新配变容量", "新增或更换后的配变容量（千伏安），配变改造为 新增/更换 时填写", None, gt=0, le=1e6)


class Project(Section):
    kind: Kind = field("工程类别", " | ".join(KINDS) + "（与接入简图核对）", "有外线有掘路")
    connection: Literal["架空线", "电缆"] | None = optional(
        "接入方式", "架空线 或 电缆（仅有外线工程时）", "电缆")
    transformer: Transformer = field("供电配变", "为客户供电的公用配变")
    meter_location: Text = field("装表位置", "电能表及表箱安装位置", "用电地址外墙")
    cost_yuan: Number | None = optional("工程费用", "工程建设总费用（元），供电企业出资，红线外", 32000,
                                        ge=0, le=1e10)
    customer_cost_yuan: Number | None = optional(
        "客户出资", "客户在红线外出资（元），应为 0；有外线工程时须填写", 0, ge=0, le=1e10)
    funding: Text | None = optional("工程资金来源", "如 供电企业；有外线工程时须填写", "供电企业")
    permit_by: Literal["供电企业", "客户"] | None = optional(
        "审批办理方", "掘路等行政审批由谁办理：供电企业 或 客户（通知：零审批）", "供电企业")
    works_class: Text | None = optional("配套工程情况", "附件2“配套工程情况（6 类）”，可省略",
                                     "低压架空/电缆线路延伸")
    description: LongText | None = optional(
        "工程描述", "可省略：省略时由接入简图生成", None)


class Element(Section):
    kind: ElementKind = field(
        "设备类型", "、".join(ELEMENT_KINDS.values()), "cable")
    new: Bool = field("是否新建", "是：本次新建（蓝色）；否：现状（黑色）", True)
    name: Text | None = optional("名称", "可省略", None)
    length_m: Number | None = optional("长度", "线路长度（米），线路必填", None, gt=0, le=1e5)
    spec: Text | None = optional("型号", "线路型号，如 YJV22-4×35", None)
    excavation_m: Number | None = optional("掘路长度", "掘路长度（米），不掘路则省略", None, ge=0,
                                           le=1e5)
    capacity_kva: Number | None = optional("容量", "配变容量（千伏安）", None, gt=0, le=1e6)
    road: Text | None = optional("道路名称", "掘路所过道路的名称，可省略（标在简图上）", None)

    @model_validator(mode="after")
    def _line_fields(self) -> Element:
        # said at the field it is about, with the item's place (see validation_findings)
        what = ELEMENT_KINDS[self.kind]
        if self.kind in LINE_KINDS and self.length_m is None:
            raise _at("length_m", f"（{what}）须填写长度（米）")
        if self.kind not in LINE_KINDS and (self.length_m or self.excavation_m):
            wrong = "length_m" if self.length_m else "excavation_m"
            raise _at(wrong, f"（{what}）不是线路，不应填写长度或掘路长度")
        if self.excavation_m and self.length_m and self.excavation_m > self.length_m:
            raise _at("excavation_m", f"（{what}）的掘路长度 {self.excavation_m:g} 米超过线路长度 "
                                      f"{self.length_m:g} 米")
        return self

    @property
    def label(self) -> str:
        return self.name or ELEMENT_KINDS[self.kind]


class Source(Section):
    kind: Literal["transformer"] = field("电源类型", "公用配变", None, default="transformer")
    name: Text = field("电源名称", "供电的公用配变名称", "解放碑3号公用配变")
    capacity_kva: Number | None = optional("配变容量", "千伏安", 400, gt=0, le=1e6)
    new: Bool = field("是否新建", "新增或更换的配变选 是（蓝色）", False, default=False)
    owner: Literal["供电公司", "客户专变", "转供电"] | None = optional(
        "电源产权", "供电公司（通知：电源由供电公司产权的供配电设施提供）、客户专变 或 转供电", "供电公司")


class MeterBox(Section):
    new: Bool = field("是否新建", "表箱是否本次新装", True, default=True)
    name: Text = field("名称", "表箱名称", "计量表箱", default="计量表箱")


ROUTE_EXAMPLE = [
    {"kind": "overhead", "length_m": 120, "new": False, "name": "现状0.4kV架空线"},
    {"kind": "pole", "new": False, "name": "12号杆"},
    {"kind": "cable", "length_m": 45, "new": True, "spec": "YJV22-4×35", "excavation_m": 12},
]


class Grid(Section):
    source: Source = field("电源", "为客户供电的公用配变")
    route: Annotated[list[Element], BeforeValidator(_listify)] = field(
        "接入路径", f"从电源到表箱依次列出（最多 {MAX_ROUTE} 项）；无外线工程在现有线路上直接装表时不填",
        ROUTE_EXAMPLE, max_length=MAX_ROUTE, default_factory=list)
    meter_box: MeterBox = field("计量表箱", "客户外墙上的表箱", default_factory=MeterBox)


class Timeline(Section):
    accepted: Date = field("受理申请并签约", "环节 1", "2019-11-04")
    surveyed: Date | None = optional("现场勘查", "环节 2", "2019-11-05")
    designed: Date | None = optional("外线设计并生成物料清单", "环节 3（无外线可省略）", "2019-11-06")
    preparation: Range | None = optional("施工准备", "环节 4，含报行政审批所需材料，[开始, 结束]",
                                      ["2019-11-06", "2019-11-07"])
    permit: Range | None = optional("行政审批", "环节 5（仅掘路工程），[开始, 结束]",
                                 ["2019-11-07", "2019-11-12"])
    construction: Range | None = optional("接入工程施工", "环节 6（仅有外线工程），[开始, 结束]",
                                       ["2019-11-13", "2019-11-15"])
    energized: Date = field("装表接电", "环节 7", "2019-11-15")


class Feedback(Section):
    steps: LongText | None = optional("环节", "客户原话：两个环节，合同与表计位置", None)
    time: LongText | None = optional("时间", "客户原话：与以前相比的变化", None)
    cost: LongText | None = optional("成本", "客户原话：外线零成本、一口办理", None)


class Confirmation(Section):
    confirmed: Bool = field("客户是否认可", "是：客户确认案例所写属实；否：客户不认可（写明原话）", True)
    words: LongText | None = optional("客户原话", "回访时客户的原话，不可编造", None)


class Callback(Section):
    date: Date = field("回访日期", "客服中心回访客户的日期（接电之后）", "2019-11-20")
    channel: Literal["电话", "上门"] = field("回访方式", "电话 或 上门", "电话")
    by: Text = field("回访人", "回访人员姓名", "王某")
    steps: Confirmation | None = optional(
        "环节", "客户是否认可“申请签约、施工接电”两个环节")
    time: Confirmation | None = optional(
        "时间", "客户是否认可接电周期（受理到接电的日期）")
    cost: Confirmation | None = optional(
        "成本", "客户是否认可红线外零投资（客户没有出钱）")


CALLBACK_POINTS = {"steps": "环节", "time": "时间", "cost": "成本"}


class SystemOrders(Section):
    application: RelPath | None = optional("客户申请", "线下申请须有签字或盖章", "evidence/申请书.pdf")
    acceptance: RelPath | None = optional("受理申请工单", "线下 SG186 截图，线上掌电截图",
                                       "evidence/受理工单.png")
    supply_plan: RelPath | None = optional("供电方案工单", "", "evidence/供电方案.pdf")
    energizing: RelPath | None = optional("装表接电工单", "", "evidence/装表接电.pdf")


class ConstructionDocs(Section):
    estimate_cover: RelPath | None = optional("工程概算封面", "仅有外线工程", "evidence/概算封面.pdf")
    estimate_notes: RelPath | None = optional("编制说明", "仅有外线工程", "evidence/编制说明.pdf")


class Mark(Section):
    label: Text = field("标注文字", "如 表箱", "表箱")
    at: Annotated[list[Annotated[float, BeforeValidator(parse_number), Field(ge=0, le=1)]],
                  Field(min_length=2, max_length=2)] = field(
        "标注位置", "[横, 纵]，0–1 为图片宽高的比例", [0.62, 0.40])
    shape: Literal["arrow", "box"] = field("标注形状", "箭头 或 方框", "arrow", default="arrow")


class Photo(Section):
    file: RelPath = field("文件", "图片路径", "evidence/施工后.jpg")
    caption: Text | None = optional("说明", "图片说明", "表箱安装位置")
    stage: Literal["施工前", "施工后", "其他"] = field("阶段", "施工前 | 施工后 | 其他", "施工后",
                                                    default="其他")
    marks: Annotated[list[Mark], BeforeValidator(_listify)] = field(
        "标注", "标在图片上的工程范围、表计位置", default_factory=list)


PHOTO_EXAMPLE = [
    {"file": "evidence/施工后.jpg", "caption": "表箱安装位置", "stage": "施工后",
     "marks": [{"label": "表箱", "at": [0.62, 0.40]}]},
]


class Evidence(Section):
    system_orders: SystemOrders = field("系统工单", "四张系统工单", default_factory=SystemOrders)
    construction: ConstructionDocs = field("工程建设内容", "工程简图自动生成",
                                           default_factory=ConstructionDocs)
    permits: Annotated[list[RelPath], BeforeValidator(_listify)] = field(
        "行政审批", "掘路审批材料", ["evidence/掘路许可.pdf"], default_factory=list)
    photos: Annotated[list[Photo], BeforeValidator(_listify)] = field(
        "现场图片", "施工前后照片", PHOTO_EXAMPLE, default_factory=list)


class Case(Section):
    unit: Unit = field("供电单位信息", "")
    customer: Customer = field("客户", "")
    application: Application = field("申请", "")
    project: Project = field("工程", "")
    grid: Grid = field("接入简图", "工程建设简图的依据")
    timeline: Timeline = field("办理时间", "供电企业内部环节")
    feedback: Feedback = field("客户反馈", "客户原话，不可编造", default_factory=Feedback)
    evidence: Evidence = field("实证材料", "与案例文件放在同一文件夹", default_factory=Evidence)
    callback: Callback | None = optional(
        "数据核查回访", "客服中心回访客户，核对环节、时间、成本（通知：确保数据核查回访结果准确）", None)

    @property
    def is_online(self) -> bool:
        return is_online(self.application.channel)


# --- labels, unknown keys, and turning validation errors into findings ------------------------

def submodel(annotation: Any) -> type[BaseModel] | None:
    """The model class inside an annotation such as `Element`, `list[Element]`, `X | None`."""
    stack = [annotation]
    while stack:
        current = stack.pop()
        if isinstance(current, type) and issubclass(current, BaseModel):
            return current
        stack.extend(get_args(current))
    return None


def label_of(key_path: KeyPath) -> str | None:
    """The Chinese label of a key path such as ('project', 'kind') or ('grid','route',2,'new')."""
    model: type[BaseModel] | None = Case
    label = None
    for key in key_path:
        if isinstance(key, int) or model is None:
            continue
        info = model.model_fields.get(key)
        if info is None:
            return label
        label = info.title
        model = submodel(info.annotation)
    return label


def spoken_path(key_path: KeyPath) -> str:
    """A key path as a person says it: 联系电话, 接入路径第 2 项, 接入路径第 2 项的长度,
    现场图片第 1 项标注第 2 项的标注文字 (the key names stay where a person edits YAML)."""
    model: type[BaseModel] | None = Case
    said, label = "", ""
    for key in key_path:
        if isinstance(key, int):
            said += f"{label}第 {key + 1} 项"
            label = ""
            continue
        info = model.model_fields.get(key) if model is not None else None
        if info is None:
            label = str(key)
            break
        label = info.title or key
        model = submodel(info.annotation)
    if said and label:
        return f"{said}的{label}"
    return said or label


def said(finding: Finding) -> str:
    """A finding as a person reads it away from the case file: the field by its Chinese name, then
    what is wrong (客户申请缺少 …; 联系电话格式不对 …); the key names are for where YAML is edited."""
    where = spoken_path(finding.key_path) if finding.key_path else ""
    return f"{where}{finding.message}" if where and not finding.message.startswith(where) else finding.message


@cache
def _children(model: type[BaseModel]) -> dict[str, type[BaseModel] | None]:
    """Each field of a model and the model it holds, if any (asked thousands of times a run)."""
    return {key: submodel(info.annotation) for key, info in model.model_fields.items()}


def unknown_keys(data: Any, model: type[BaseModel] = Case,
                 prefix: KeyPath = ()) -> Iterator[tuple[KeyPath, str | None, list[str]]]:
    """Yield (key_path, nearest known key) for every key the contract does not know."""
    if not isinstance(data, dict):
        return
    known = _children(model)
    for key, value in data.items():
        path = (*prefix, key)
        if key not in known:
            near = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.5)
            yield path, (near[0] if near else None), list(known)
            continue
        child = known[key]
        if child is None:
            continue
        items = enumerate(value) if isinstance(value, list) else [(None, value)]
        for index, item in items:
            yield from unknown_keys(item, child, path if index is None else (*path, index))


_TYPE_NAMES: dict[type[object], str] = {dict: "键值", list: "列表", str: "文字"}
MAX_UNKNOWN_TOLD = 20


def _message(error: ErrorDetails) -> str:
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if isinstance(value, str):
        shown = f"\"{value[:40]}…\"" if len(value) > 40 else f"\"{value}\""
    else:
        shown = _TYPE_NAMES.get(type(value), "其他")
    match kind:
        case "missing":
            return "必须填写"
        case "literal_error" | "enum":
            expected = ctx.get("expected", "").replace("'", "").replace(" or ", ", ")
            options = "/".join(part.strip() for part in expected.split(","))
            return f"应为 {options}，实际为 {shown}"
        case "string_too_short":
            return "不能为空"
        case "string_too_long":
            return f"过长（上限 {ctx.get('max_length')} 字）"
        case "string_pattern_mismatch":
            return f"格式不对，实际为 {shown}"
        case "string_type":
            return f"应为文字，实际为{shown}"
        case "model_type" | "model_attributes_type" | "dict_type":
            return f"应为“键: 值”形式，实际为 {shown}"
        case "list_type":
            return f"应为列表（- 项 或 [a, b]），实际为 {shown}"
        case "too_long":
            return f"最多 {ctx.get('max_length')} 项，实际 {ctx.get('actual_length')} 项"
        case "too_short":
            return f"至少 {ctx.get('min_length')} 项，实际 {ctx.get('actual_length')} 项"
        case "greater_than":
            return f"应大于 {ctx.get('gt')}，实际为 {shown}"
        case "greater_than_equal":
            return f"不能小于 {ctx.get('ge')}，实际为 {shown}"
        case "less_than_equal":
            return f"不能大于 {ctx.get('le'):g}，实际为 {shown}"
        case "less_than":
            return f"应小于 {ctx.get('lt'):g}，实际为 {shown}"
        case "int_parsing" | "int_type" | "int_from_float":
            return f"应为整数，实际为 {shown}"
        case "float_parsing" | "float_type":
            return f"应为数字，实际为 {shown}"
        case "bool_parsing" | "bool_type":
            return f"应为 是 或 否（true/false），实际为 {shown}"
    message = error["msg"]
    if message.isascii():  # one of pydantic's own English messages: never shown as it is
        return f"不符合案例文件约定（{kind}），实际为 {shown}"
    return message


def build_case(data: dict[str, Any], where: Callable[[KeyPath], int | None],
               path: Path | None = None) -> tuple[Case, list[Finding]]:
    """Validate plain data against the contract.

    `where(key_path)` gives the line of a key path. Returns the case and its warnings (unknown
    keys); raises CaseError with every error at once.
    """
    warnings = []
    unknown = list(unknown_keys(data))
    for key_path, near, known in unknown[:MAX_UNKNOWN_TOLD]:
        hint = f"，是否应为 {near}？" if near else f"；这一层可用的键：{', '.join(known)}"
        warnings.append(Finding("unknown-key", f"是未知的键{hint}", path, where(key_path),
                                tuple(key_path)))
    if len(unknown) > MAX_UNKNOWN_TOLD:
        warnings.append(Finding("unknown-key", f"还有 {len(unknown) - MAX_UNKNOWN_TOLD} 个未知的键未逐一列出",
                                path, where(unknown[MAX_UNKNOWN_TOLD][0]), None))
    try:
        case = Case.model_validate(data)
    except ValidationError as e:
        raise CaseError(validation_findings(e, where, path) + warnings) from e
    return case, warnings


def validation_findings(error: ValidationError, where: Callable[[KeyPath], int | None],
                        path: Path | None = None, prefix: KeyPath = ()) -> list[Finding]:
    """pydantic's errors as findings: Chinese message, key path, label and line.

    `prefix` places a section validated on its own (a Unit, say) inside the contract's paths.
    """
    findings = []
    for item in error.errors(include_url=False):
        loc = tuple(k for k in item["loc"] if not str(k).startswith("function-"))
        key_path = (*prefix, *loc)
        message = _message(item)
        if item["type"] == "item_field":  # an item's own validator: at the field, the item named
            message = spoken_path(key_path) + message
            key_path, loc = (*key_path, (item.get("ctx") or {})["field"]), (*loc, (item.get("ctx") or {})["field"])
        rule = "required" if item["type"] == "missing" else "contract"
        findings.append(Finding(rule, message, path, where(loc), key_path or None, label_of(key_path)))
    return findings


# --- a case whose contract is not whole: what can be typed, typed ----------------------------

class Incomplete(Exception):
    """What a computation needs is missing or wrong in the case file (its key path)."""

    def __init__(self, key_path: KeyPath):
        super().__init__(key_path)
        self.key_path = key_path


class Holed:
    """A section of a case that does not pass the contract whole: the fields that passed, typed as
    in a whole case (sections inside it whole or holed in turn); reading a field that did not
    pass, or is missing, raises Incomplete with its key path. Rules and facts read it as they
    read a Case, and what needs a hole is left out (the partial verdict)."""

    def __init__(self, model: type[BaseModel], values: dict[str, Any], holes: dict[str, KeyPath]):
        self.__dict__.update(_model=model, _values=values, _holes=holes)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if name in self._holes:
            raise Incomplete(self._holes[name])
        if name in self._values:
            return self._values[name]
        attribute = getattr(self._model, name, None)
        if isinstance(attribute, property) and attribute.fget is not None:
            return attribute.fget(self)
        raise AttributeError(name)

    @property
    def holes(self) -> list[KeyPath]:
        """Every key path that did not pass, nested sections' too."""
        found = list(self._holes.values())
        for value in self._values.values():
            if isinstance(value, Holed):
                found += value.holes
        return found


class _Hole(Exception):
    """A section that fails as a whole though each field passes (its own validator refused it)."""


@cache
def _adapter(model: type[BaseModel], key: str) -> TypeAdapter[Any]:
    info = model.model_fields[key]
    annotation: Any = info.annotation
    if info.metadata:
        annotation = Annotated[(annotation, *info.metadata)]
    return TypeAdapter(annotation)


def _section(info: Any) -> type[Section] | None:
    """The section a field holds directly (not in a list, not a date range)."""
    annotation = info.annotation
    if get_origin(annotation) in (Union, UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        annotation = options[0] if len(options) == 1 else None
    inner = annotation
    if isinstance(inner, type) and issubclass(inner, Section) and inner is not DateRange:
        return inner
    return None


def partial_case(data: dict[str, Any]) -> Case | Holed:
    """The case as far as it passes the contract: a Case when whole, else a Holed case."""
    try:
        return cast(Case | Holed, _partial(Case, data, ()))
    except _Hole:
        return Holed(Case, {}, {key: (key,) for key in Case.model_fields})


def _partial(model: type[Section], data: Any, prefix: KeyPath) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError:
        pass
    if not isinstance(data, dict):
        raise _Hole
    data = filled(model, data)
    values: dict[str, Any] = {}
    holes: dict[str, KeyPath] = {}
    for key, info in model.model_fields.items():
        path = (*prefix, key)
        if key not in data:
            if info.is_required():
                holes[key] = path
            else:
                values[key] = info.get_default(call_default_factory=True)
            continue
        child = _section(info)
        try:
            values[key] = _partial(child, data[key], path) if child is not None else \
                _adapter(model, key).validate_python(data[key])
        except (ValidationError, _Hole):
            holes[key] = path
    if not holes and not any(isinstance(v, Holed) for v in values.values()):
        raise _Hole  # every field passed: the section's own validator refused the whole
    return Holed(model, values, holes)
