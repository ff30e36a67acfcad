"""Working days: holidays and 调休 from python-holidays, estimates, the user's calendar file."""

from __future__ import annotations

import datetime as dt

import pytest

from casegen.base.errors import CaseError
from casegen.case.calendar import WorkCalendar, find_calendar_file, load_calendar

D = dt.date


def calendar_refusals(tmp_path, text: str) -> list:
    """The findings a calendar file with this text is refused with."""
    path = tmp_path / "casegen.calendar.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CaseError) as refused:
        load_calendar(path)
    return refused.value.findings


@pytest.mark.parametrize(("start", "end", "working"), [
    (D(2019, 9, 27), D(2019, 10, 9), 4),  # 9-29 (Sun) is a make-up working day; 10-1..7 off
    (D(2019, 11, 4), D(2019, 11, 15), 9),  # two plain weeks, start day not counted
    (D(2019, 11, 4), D(2019, 11, 4), 0),
    (D(2019, 10, 11), D(2019, 10, 14), 2),  # Sat 10-12 is a make-up working day
    (D(2024, 9, 29), D(2024, 10, 8), 2),
    (D(2025, 4, 28), D(2025, 5, 14), 9),
])

def test_working_days_across_holidays_and_make_up_days(start, end, working):
    assert WorkCalendar().working_days(start, end) == working


def test_announced_and_estimated_years():
    calendar = WorkCalendar()
    assert calendar.estimated_years(D(2019, 9, 27), D(2019, 10, 9)) == []
    assert calendar.estimated_years(D(2026, 12, 28), D(2027, 1, 6)) == [2027]
    assert "未含调休" in calendar.source(2027)
    # National Day 2027 is computed (statutory days), never a crash
    assert not calendar.is_working_day(D(2027, 10, 1))
    assert calendar.working_days(D(2027, 9, 30), D(2027, 10, 11)) > 0


def test_far_future_and_past_dates_do_not_crash():
    calendar = WorkCalendar()
    assert calendar.working_days(D(2099, 1, 1), D(2099, 1, 31)) > 0
    assert calendar.working_days(D(1995, 1, 1), D(1995, 1, 31)) > 0


CALENDAR_2027 = """\
2027:
  holidays:
    元旦: 2027-01-01
    春节: [2027-02-05, 2027-02-11]
    国庆节: [2027-10-01, 2027-10-07]
  workdays: [2027-02-14, 2027-02-20, 2027-09-26, 2027-10-09]
"""


def test_user_calendar_overrides_and_makes_the_year_exact(tmp_path):
    path = tmp_path / "casegen.calendar.yaml"
    path.write_text(CALENDAR_2027, encoding="utf-8")
    calendar = load_calendar(path)
    assert calendar.is_exact(2027)
    assert calendar.estimated_years(D(2027, 1, 1), D(2027, 12, 31)) == []
    assert not calendar.is_working_day(D(2027, 10, 7))  # Thursday, a holiday in the file
    assert calendar.is_working_day(D(2027, 10, 9))  # Saturday worked
    assert calendar.is_working_day(D(2027, 10, 8))
    # 9-30 → 10-11: 10-8 (Fri), 10-9 (Sat, worked), 10-11 (Mon)
    assert calendar.working_days(D(2027, 9, 30), D(2027, 10, 11)) == 3
    assert dict(calendar.days_off(2027))[D(2027, 2, 8)] == "春节"
    assert find_calendar_file([tmp_path]) == path


def test_calendar_file_is_found_in_a_parent_folder(tmp_path):
    (tmp_path / "casegen.calendar.yaml").write_text(CALENDAR_2027, encoding="utf-8")
    case = tmp_path / "branch" / "case-1" / "case.yaml"
    case.parent.mkdir(parents=True)
    case.write_text("x: 1", encoding="utf-8")
    assert find_calendar_file([case]) == tmp_path / "casegen.calendar.yaml"


def test_bad_calendar_file_names_file_and_line(tmp_path):
    finding, = calendar_refusals(tmp_path, "2027:\n  holidays:\n    元旦: 2027-13-01\n")
    assert finding.line == 3
    assert "YYYY-MM-DD" in finding.message


def test_every_day_of_2020_to_2026_agrees_with_chinesecalendar():
    import chinese_calendar

    calendar = WorkCalendar()
    day, disagreements = D(2020, 1, 1), []
    while day <= D(2026, 12, 31):
        if calendar.is_working_day(day) != chinese_calendar.is_workday(day):
            disagreements.append(day)
        day += dt.timedelta(days=1)
    assert disagreements == []


def test_listing_a_year_does_not_change_counting():
    calendar = WorkCalendar()
    listed_off = {d for d, _ in calendar.days_off(2026)}
    for d in (D(2026, 4, 7), D(2026, 5, 6), D(2026, 10, 8)):
        assert d not in listed_off and calendar.is_working_day(d)
    assert calendar.working_days(D(2026, 4, 3), D(2026, 4, 8)) == 2  # Apr 7, 8 (6th is 补假)


@pytest.mark.parametrize("year", range(2020, 2027))
def test_listing_and_counting_agree(year):
    calendar = WorkCalendar()
    off = {d for d, _ in calendar.days_off(year)}
    made_up = set(calendar.make_up_days(year))
    day = D(year, 1, 1)
    while day.year == year:
        expected = day in made_up or (day.weekday() < 5 and day not in off)
        assert calendar.is_working_day(day) == expected, day
        day += dt.timedelta(days=1)


def test_user_calendar_single_date_holiday_and_saturday_workday(tmp_path):
    path = tmp_path / "casegen.calendar.yaml"
    path.write_text("2027:\n  holidays:\n    某节: 2027-03-03\n  workdays: [2027-03-06]\n",
                    encoding="utf-8")
    calendar = load_calendar(path)
    assert not calendar.is_working_day(D(2027, 3, 3))  # a Wednesday off
    assert calendar.is_working_day(D(2027, 3, 6))  # a Saturday worked
    assert not calendar.is_working_day(D(2027, 3, 13))  # other Saturdays are not
    # Mar 1 (Mon) → Mar 8 (Mon): 2, 4, 5, 6 (Sat worked), 8; the 3rd is off
    assert calendar.working_days(D(2027, 3, 1), D(2027, 3, 8)) == 5
    assert calendar.estimated_years(D(2027, 3, 1), D(2027, 3, 8)) == []


def test_the_year_cache_is_rebuilt_when_damaged_and_gives_the_same_days(tmp_path, monkeypatch):
    import json
    from importlib.metadata import version

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cache = tmp_path / "casegen" / f"holidays-{version('holidays')}.json"
    cache.parent.mkdir(parents=True)
    cache.write_text("{not json", encoding="utf-8")
    assert WorkCalendar().working_days(D(2024, 9, 29), D(2024, 10, 8)) == 2
    stored = json.loads(cache.read_text(encoding="utf-8"))
    assert "2024-10-07" in stored["years"]["2024"][0]  # a weekday off
    assert "2024-10-12" in stored["years"]["2024"][1]  # a Saturday worked
    assert WorkCalendar().working_days(D(2024, 9, 29), D(2024, 10, 8)) == 2  # read back


def test_dates_outside_2000_to_2099_are_typing_mistakes(tmp_path, capsys):
    from conftest import load_valid, write_case

    from casegen.cli import main

    data = load_valid()
    data["timeline"]["energized"] = "9999-12-31"
    path = write_case(tmp_path / "c", data)
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert '应在 2000–2099 年之间，实际为 "9999-12-31"' in out


def test_an_empty_calendar_file_and_a_bare_workdays_string_are_told_once(tmp_path):
    empty = calendar_refusals(tmp_path, "# 还没写\n")
    assert empty[0].message.startswith("节假日文件是空的") and empty[0].line == 1
    bare = calendar_refusals(tmp_path, "2027:\n  workdays: 2027-02-14\n")
    assert [f.message for f in bare] == ["应为日期的列表，如 [2027-02-14, 2027-02-20]"]


def test_the_calendar_file_is_found_beside_a_case_file(tmp_path):
    (tmp_path / "casegen.calendar.yaml").write_text("2027:\n  workdays: []\n", encoding="utf-8")
    case = tmp_path / "a" / "case.yaml"
    case.parent.mkdir()
    case.write_text("x: 1\n", encoding="utf-8")
    assert find_calendar_file([case]) == tmp_path / "casegen.calendar.yaml"


def test_the_cached_year_lists_weekdays_off_and_weekends_worked_only(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    calendar = WorkCalendar()
    weekdays_off, weekends_worked = calendar._year(2025)
    assert weekdays_off and all(d.weekday() < 5 for d in weekdays_off)
    assert weekends_worked and all(d.weekday() >= 5 for d in weekends_worked)


@pytest.mark.parametrize("year", ["1999", "²⁰²⁷", "二〇二七"])
def test_a_calendar_year_key_must_be_a_year_of_this_century(tmp_path, year):
    finding, = calendar_refusals(tmp_path, f"{year}:\n  workdays: []\n")
    assert finding.message == f"应为 2000–2099 之间的年份（如 2027），实际为 \"{year}\"" and finding.line == 1


def test_a_reversed_holiday_range_is_refused_not_dropped(tmp_path):
    finding, = calendar_refusals(tmp_path, "2027:\n  holidays:\n    国庆节: [2027-10-07, 2027-10-01]\n")
    assert finding.message == "结束日期 2027-10-01 早于开始日期 2027-10-07" and finding.line == 3


def test_holidays_written_as_a_list_are_told_not_a_crash(tmp_path):
    refusals = calendar_refusals(tmp_path, "2027:\n  holidays: [2027-10-01, 2027-10-02]\n")
    assert [f.message for f in refusals] == ["应为“名称: 日期”或“名称: [开始, 结束]”的列表"]
