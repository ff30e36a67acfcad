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
from conftest import copy_examples

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
    wait(browser, lambda d: "个工作日" in d.find_element(By.ID, "summary").text)

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
        assert "李填报 保存" in panel and "customer.phone：023-65201188 → 023-60000001" in panel
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
        assert "application.capacity_kw：100 → 110" in history.text and "李填报 · 保存" in history.text
        browser.save_screenshot(str(SHOTS / "6-history.png"))
    finally:
        other.quit()
