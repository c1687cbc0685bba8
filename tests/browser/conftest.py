"""Headless Chromium driven by Selenium against pytest-django's live server."""

import shutil
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--window-size=1280,1000",
]
WAIT_SECONDS = 10


class Browser:
    """A Selenium driver plus the few steps every page test takes."""

    def __init__(self, driver, base_url: str):
        self.driver = driver
        self.base_url = base_url

    def open(self, path: str) -> None:
        self.driver.get(f"{self.base_url}{path}")

    def path(self) -> str:
        return self.driver.current_url.removeprefix(self.base_url)

    def find(self, css: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self) -> str:
        # One script call, not find("body").text: an element found just before
        # a navigation goes stale before its text can be read.
        return self.driver.execute_script("return document.body ? document.body.innerText : ''")

    def wait_for_text(self, text: str, *, timeout: float = WAIT_SECONDS) -> None:
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(self.driver, timeout, poll_frequency=0.25).until(
            lambda driver: text in self.text(),
            message=f"{text!r} not on {self.driver.current_url} within {timeout:.0f} s",
        )

    def wait_for_path(self, path: str, *, timeout: float = WAIT_SECONDS) -> None:
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(self.driver, timeout, poll_frequency=0.25).until(
            lambda driver: self.path() == path,
            message=f"still on {self.driver.current_url}, not {path}, after {timeout:.0f} s",
        )

    def sign_in(self, username: str, password: str) -> None:
        self.open("/accounts/login/")
        self.find("#id_username").send_keys(username)
        self.find("#id_password").send_keys(password)
        self.find("button[type=submit]").click()
        self.wait_for_text("Sign out")

    def sign_out(self) -> None:
        self.find(".sign-out button").click()
        self.wait_for_text("Sign in")

    def console_errors(self) -> list[str]:
        return [entry["message"] for entry in self.driver.get_log("browser")]


@pytest.fixture(scope="session")
def chromium(tmp_path_factory):
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        # A missing browser is a broken test set-up, never a reason to skip.
        pytest.fail("Chromium is not installed; `make browser` installs it")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tmp_path_factory.mktemp("chromium-profile")
    options = Options()
    # Both paths are given, so Selenium never looks for (or downloads) a browser.
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "SEVERE"})
    service = Service(
        executable_path=str(CHROMEDRIVER),
        log_output=str(tmp_path_factory.getbasetemp() / "chromedriver.log"),
    )

    driver = webdriver.Chrome(service=service, options=options)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def browser(chromium, live_server) -> Browser:
    page = Browser(chromium, live_server.url)
    # One browser serves the whole session; each test starts signed out.
    page.open("/accounts/login/")
    chromium.delete_all_cookies()
    chromium.get_log("browser")  # drop what earlier tests left
    return page
