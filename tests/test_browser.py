"""The workbench in a real browser (Debian's chromium through chromium-driver and Selenium): a
new case, a finding beside its field, fixed, the sketch, saved, and the .docx downloaded."""

from __future__ import annotations

import io
import re
import shutil
import socket
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import EXAMPLES

from casegen.web.app import create_app

SHOTS = Path("/tmp/casegen-browser-shots")  # looked at by people, not by the test


@pytest.fixture
def server(tmp_path):
    import uvicorn

    folder = tmp_path / "cases"
    shutil.copytree(EXAMPLES, folder)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(folder), host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    for _ in range(100):
        if running.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", folder
    running.should_exit = True
    thread.join(timeout=10)


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
