"""The workbench in a real browser (Debian's chromium through chromium-driver and Selenium): a
new case, a finding beside its field, fixed, the sketch, saved, and the .docx downloaded."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import socket
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from conftest import copy_examples, english_words

from casegen.web.app import create_app

SHOTS = Path("/tmp/casegen-browser-shots")  # looked at by people, not by the test


@contextlib.contextmanager
def running(app):
    """The app on a real socket of this machine, for as long as the block runs: its address."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def server(tmp_path):
    folder = copy_examples(tmp_path / "cases")
    with running(create_app(folder)) as address:
        yield address, folder


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver_path, "apt-get install -y chromium chromium-driver (README's test line does)"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1600",
                     "--lang=zh-CN"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()


def choose(driver, name: str, shown: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.NAME, name)).select_by_visible_text(shown)


def set_date(driver, name: str, day: str) -> None:
    """A date picker's value as a person picks it (typing into one depends on the browser's locale)."""
    from selenium.webdriver.common.by import By

    field = driver.find_element(By.NAME, name)
    driver.execute_script("arguments[0].value = arguments[1];"
                          "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
                          "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));", field, day)


def shown_english(driver) -> set[str]:
    """English words in what the page shows (its main part and its title: the header carries the
    served folder's path and the signed-in user's name, theirs and not the page's)."""
    from selenium.webdriver.common.by import By

    return english_words(driver.find_element(By.TAG_NAME, "main").text, driver.title)


def wait(driver, condition, timeout: float = 20):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(lambda d: condition(d))


def test_a_new_case_from_finding_to_document(server, browser):
    import docx
    from selenium.webdriver.common.by import By

    address, folder = server
    SHOTS.mkdir(exist_ok=True)
    browser.get(address + "/")
    assert "9/15" in browser.find_element(By.ID, "cases").text
    browser.save_screenshot(str(SHOTS / "1-home.png"))

    browser.find_element(By.NAME, "name").send_keys("浏览器测试")
    browser.find_element(By.CSS_SELECTOR, "form.inline button").click()
    wait(browser, lambda d: "/case/" in d.current_url)
    wait(browser, lambda d: "未填完" in d.find_element(By.ID, "summary").text)
    for name, value in (("unit.company", "国网重庆市电力公司沙坪坝供电分公司"), ("unit.station", "井口供电所"),
                        ("customer.name", "重庆浏览器测试有限公司"), ("customer.account_no", "5109000077"),
                        ("customer.address", "重庆市沙坪坝区井口镇井口工业园C区3号"), ("customer.industry", "零售业"),
                        ("customer.purpose", "超市照明用电"), ("customer.electricity_category", "一般工商业"),
                        ("application.channel", "网上国网"), ("application.supply", "380V"),
                        ("project.transformer.name", "井口3号公用配变"), ("project.transformer.capacity_kva", "400"),
                        ("project.transformer.load_rate", "0.5"), ("project.meter_location", "用电地址外墙"),
                        ("grid.source.name", "井口3号公用配变")):
        browser.find_element(By.NAME, name).send_keys(value)
    for name, shown in (("customer.small_micro", "是"), ("customer.area", "城市"), ("customer.business_licence", "是"),
                        ("application.business_type", "新装"), ("project.kind", "无外线"),
                        ("project.transformer.action", "无")):
        choose(browser, name, shown)
    for name, day in (("application.date", "2025-04-28"), ("timeline.accepted", "2025-04-28"),
                      ("timeline.energized", "2025-04-30")):
        set_date(browser, name, day)

    capacity = browser.find_element(By.NAME, "application.capacity_kw")
    capacity.clear()
    capacity.send_keys("140kW")
    beside = '[data-path="application.capacity_kw"] > .findings'
    wait(browser, lambda d: "只写数字：140" in d.find_element(By.CSS_SELECTOR, beside).text)
    browser.save_screenshot(str(SHOTS / "2-finding.png"))

    capacity.clear()
    capacity.send_keys("140")
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, beside).text == "")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#sketch svg"))

    browser.find_element(By.ID, "save").click()
    wait(browser, lambda d: d.find_element(By.ID, "status").text == "已保存")
    browser.save_screenshot(str(SHOTS / "3-saved.png"))
    saved = (folder / "浏览器测试" / "case.yaml").read_text(encoding="utf-8")
    assert re.search(r"capacity_kw: 140 +# 申请容量", saved)  # the value, and its comment kept
    assert yaml.safe_load(saved)["grid"]["route"] is None  # no route, none invented (its example a comment)

    link = browser.find_element(By.LINK_TEXT, "下载 Word 文档").get_attribute("href")
    with urllib.request.urlopen(link, timeout=60) as answer:
        document = docx.Document(io.BytesIO(answer.read()))
    text = "\n".join(p.text for p in document.paragraphs)
    customer = browser.find_element(By.NAME, "customer.name").get_attribute("value")
    assert customer and customer in text and "140" in text


@pytest.fixture
def shared(tmp_path):
    """A workbench with sign-in (two users), on a real socket."""
    from casegen.service.users import add_user

    folder = copy_examples(tmp_path / "cases")
    users = tmp_path / "users.toml"
    add_user(users, "李填报", "填报", "tianbao-123")
    add_user(users, "王审核", "审核", "shenhe-456")
    with running(create_app(folder, users_file=users)) as address:
        yield address, folder


def sign_in_as(driver, address: str, name: str, password: str, shot: str | None = None) -> None:
    from selenium.webdriver.common.by import By

    driver.get(address + "/case/03-有外线有掘路-顺达汽修/case.yaml")
    wait(driver, lambda d: "/login" in d.current_url)
    driver.find_element(By.NAME, "name").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(password)
    if shot:
        driver.save_screenshot(str(SHOTS / shot))
    driver.find_element(By.CSS_SELECTOR, ".login button").click()
    wait(driver, lambda d: "/case/" in d.current_url)
    wait(driver, lambda d: "个工作日" in d.find_element(By.ID, "summary").text)


def test_two_people_saving_one_case_the_second_sees_the_first_change(shared, browser):
    from selenium.webdriver.common.by import By

    address, folder = shared
    SHOTS.mkdir(exist_ok=True)
    other = browser.__class__(service=type(browser.service)(browser.service.path), options=browser.options)
    try:
        sign_in_as(browser, address, "李填报", "tianbao-123", shot="4-login.png")
        sign_in_as(other, address, "王审核", "shenhe-456")
        phone = browser.find_element(By.NAME, "customer.phone")
        phone.clear()
        phone.send_keys("023-60000001")
        browser.find_element(By.ID, "save").click()
        wait(browser, lambda d: d.find_element(By.ID, "status").text == "已保存")

        capacity = other.find_element(By.NAME, "application.capacity_kw")
        capacity.clear()
        capacity.send_keys("110")
        other.find_element(By.ID, "save").click()
        wait(other, lambda d: d.find_element(By.ID, "conflict").is_displayed())
        panel = other.find_element(By.ID, "conflict").text
        assert "李填报 保存" in panel and "客户·联系电话：023-65201188 → 023-60000001" in panel
        assert other.find_element(By.NAME, "application.capacity_kw").get_attribute("value") == "110"  # kept
        other.save_screenshot(str(SHOTS / "5-conflict.png"))

        other.find_element(By.ID, "overwrite").click()
        wait(other, lambda d: d.find_element(By.ID, "status").text == "已保存")
        text = (folder / "03-有外线有掘路-顺达汽修" / "case.yaml").read_text(encoding="utf-8")
        assert "capacity_kw: 110" in text

        browser.refresh()
        wait(browser, lambda d: "王审核 · 保存" in d.find_element(By.ID, "history").text)
        history = browser.find_element(By.ID, "history")
        browser.execute_script("arguments[0].scrollIntoView()", history)
        assert "申请·申请容量：100 → 110" in history.text and "李填报 · 保存" in history.text
        browser.save_screenshot(str(SHOTS / "6-history.png"))
    finally:
        other.quit()


def test_a_clerk_fills_an_empty_no_works_case_without_a_route_and_it_goes_through_review(shared, browser):
    """Issue 32's try at the counter, in the browser only: a convenience store over New Year 2026
    (2026-01-04, a Sunday, is a make-up working day), 无外线 with no route, from an empty new case
    to an approval; sent back once with a comment the filer sees."""
    from selenium.webdriver.common.by import By

    address, folder = shared
    SHOTS.mkdir(exist_ok=True)
    reviewer = browser.__class__(service=type(browser.service)(browser.service.path), options=browser.options)
    try:
        sign_in_as(browser, address, "李填报", "tianbao-123")
        browser.get(address + "/")
        browser.find_element(By.NAME, "name").send_keys("渝北区小王便利店")
        browser.find_element(By.CSS_SELECTOR, "form.inline button").click()
        wait(browser, lambda d: "/case/" in d.current_url)
        wait(browser, lambda d: "未填完：还有 25 项必填" in d.find_element(By.ID, "summary").text)
        assert browser.find_element(By.NAME, "customer.name").get_attribute("value") == ""  # nothing to clear
        name_field = browser.find_element(By.NAME, "customer.name")
        assert name_field.get_attribute("placeholder") == "例：重庆某某餐饮管理有限公司"
        assert "行业分类" in browser.find_element(By.ID, "missing").text
        assert not shown_english(browser), shown_english(browser)
        browser.save_screenshot(str(SHOTS / "7-new-empty.png"))

        for name, value in (("unit.company", "国网重庆市电力公司渝北供电分公司"), ("unit.station", "龙溪供电所"),
                            ("customer.name", "重庆渝北区小王便利店"), ("customer.account_no", "5104400123"),
                            ("customer.address", "重庆市渝北区龙溪街道金山路18号附2号"),
                            ("customer.phone", "13900001111"),
                            ("customer.industry", "零售业"), ("customer.purpose", "便利店经营用电"),
                            ("customer.electricity_category", "一般工商业"), ("application.channel", "网上国网"),
                            ("application.capacity_kw", "20"), ("application.supply", "220V"),
                            ("application.contacts", "2"),
                            ("project.transformer.name", "金山路2号公用配变"),
                            ("project.transformer.capacity_kva", "315"),
                            ("project.transformer.load_rate", "45%"), ("project.meter_location", "用电地址外墙"),
                            ("grid.source.name", "金山路2号公用配变"), ("grid.source.capacity_kva", "315"),
                            ("feedback.steps", "手机上申请，签了合同就等着通电。"),
                            ("feedback.time", "元旦前申请，放完假第二天就通电了。"),
                            ("feedback.cost", "表箱是供电公司装的，我们没出钱。")):
            browser.find_element(By.NAME, name).send_keys(value)
        for name, shown in (("customer.small_micro", "是"), ("customer.area", "城市"),
                            ("customer.business_licence", "是"), ("application.business_type", "新装"),
                            ("project.kind", "无外线"), ("project.transformer.action", "无"),
                            ("grid.source.owner", "供电公司"), ("grid.meter_box.new", "是")):
            choose(browser, name, shown)
        for name, day in (("application.date", "2025-12-30"), ("timeline.accepted", "2025-12-30"),
                          ("timeline.surveyed", "2025-12-31"), ("timeline.energized", "2026-01-05")):
            set_date(browser, name, day)
        # 12-31, 01-04 (the Sunday made a working day), 01-05; 元旦 01-01…01-03 off
        verdict = "无外线　3/4 个工作日，6 个日历日　可以生成文档"
        wait(browser, lambda d: verdict in d.find_element(By.ID, "summary").text)
        wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#sketch svg"))  # no route: drawn all the same
        sketch = browser.find_element(By.ID, "sketch").text
        assert "金山路2号公用配变" in sketch and "计量表箱" in sketch and "客户红线" in sketch
        browser.find_element(By.ID, "save").click()
        wait(browser, lambda d: d.find_element(By.ID, "status").text == "已保存")
        browser.save_screenshot(str(SHOTS / "8-filled.png"))

        browser.find_element(By.CSS_SELECTOR, '#review button[value="提交审核"]').click()
        wait(browser, lambda d: d.find_elements(By.ID, "done"))
        assert browser.find_element(By.ID, "done").text == "已提交审核：等待审核人通过或退回。"
        assert browser.find_element(By.CSS_SELECTOR, "aside .state").text == "待审核"
        case = browser.current_url.split("?")[0]

        sign_in_as(reviewer, address, "王审核", "shenhe-456")
        reviewer.get(case)
        wait(reviewer, lambda d: "3/4 个工作日" in d.find_element(By.ID, "summary").text)
        reviewer.find_element(By.CSS_SELECTOR, '#review button[value="退回修改"]').click()  # no comment
        wait(reviewer, lambda d: "退回修改须写明意见" in d.find_element(By.ID, "review-status").text)
        assert reviewer.current_url == case and reviewer.find_element(By.ID, "case-form")  # still the case
        reviewer.find_element(By.NAME, "comment").send_keys("用电地址请写到门牌：附2号写在最后")
        reviewer.find_element(By.CSS_SELECTOR, '#review button[value="退回修改"]').click()
        wait(reviewer, lambda d: d.find_elements(By.ID, "done"))
        assert "已退回修改" in reviewer.find_element(By.ID, "done").text
        reviewer.save_screenshot(str(SHOTS / "9-sent-back.png"))

        browser.get(address + "/")
        row = next(r for r in browser.find_elements(By.CSS_SELECTOR, "#cases tbody tr") if "小王便利店" in r.text)
        assert "已退回" in row.text and "意见：用电地址请写到门牌：附2号写在最后" in row.text
        assert "3/4" in row.text and "6" in row.text.split()
        assert not shown_english(browser), shown_english(browser)
        browser.save_screenshot(str(SHOTS / "10-list-returned.png"))
        browser.get(case)
        returned = wait(browser, lambda d: d.find_element(By.ID, "returned"))
        assert "已退回" in returned.text and "王审核" in returned.text
        assert "意见：用电地址请写到门牌：附2号写在最后" in returned.text
        browser.save_screenshot(str(SHOTS / "11-filer-sees-comment.png"))
        wait(browser, lambda d: "可以生成文档" in d.find_element(By.ID, "summary").text)
        address_field = browser.find_element(By.NAME, "customer.address")
        address_field.clear()
        address_field.send_keys("重庆市渝北区龙溪街道金山路18号附2号1层")
        browser.find_element(By.ID, "save").click()
        wait(browser, lambda d: d.find_element(By.ID, "status").text == "已保存")
        browser.find_element(By.CSS_SELECTOR, '#review button[value="提交审核"]').click()
        wait(browser, lambda d: d.find_elements(By.ID, "done"))

        reviewer.get(case)
        wait(reviewer, lambda d: "可以生成文档" in d.find_element(By.ID, "summary").text)
        reviewer.find_element(By.CSS_SELECTOR, '#review button[value="通过审核"]').click()
        problems = wait(reviewer, lambda d: d.find_element(By.ID, "review-confirm").is_displayed()
                        and d.find_element(By.ID, "review-confirm"))
        assert "缺少" in problems.text and "施工前图片" in problems.text  # no evidence uploaded yet: shown, asked
        assert "实证材料还有" in reviewer.find_element(By.ID, "review-status").text
        reviewer.save_screenshot(str(SHOTS / "12-approve-asks.png"))
        reviewer.find_element(By.ID, "approve-anyway").click()
        wait(reviewer, lambda d: d.find_elements(By.ID, "done"))
        assert reviewer.find_element(By.ID, "done").text == "已通过审核。"
        assert reviewer.find_element(By.CSS_SELECTOR, "aside .state").text == "已审核"
        history = reviewer.find_element(By.ID, "history").text
        assert "审核时实证材料问题" in history and "客户·用电地址：" in history
        assert not shown_english(reviewer), shown_english(reviewer)
        reviewer.save_screenshot(str(SHOTS / "13-approved.png"))

        browser.get(case)  # a real edit of the approved case is warned of before anything is written
        wait(browser, lambda d: "可以生成文档" in d.find_element(By.ID, "summary").text)
        phone = browser.find_element(By.NAME, "customer.phone")
        phone.clear()
        phone.send_keys("13900002222")
        browser.find_element(By.ID, "save").click()
        confirm = wait(browser, lambda d: d.find_element(By.ID, "save-confirm").is_displayed()
                       and d.find_element(By.ID, "save-confirm"))
        assert "保存修改后审核即作废" in confirm.text
        browser.save_screenshot(str(SHOTS / "14-approved-edit-warns.png"))
        browser.find_element(By.CSS_SELECTOR, "#save-confirm .cancel").click()
        assert "13900001111" in (folder / "渝北区小王便利店" / "case.yaml").read_text(encoding="utf-8")

        browser.find_element(By.ID, "pdf").click()  # the office starting: said while it works
        wait(browser, lambda d: "正在生成 PDF" in d.find_element(By.ID, "status").text, timeout=5)
        browser.save_screenshot(str(SHOTS / "15-pdf-progress.png"))
        wait(browser, lambda d: d.find_element(By.ID, "status").text == "PDF 已生成", timeout=180)
    finally:
        reviewer.quit()
