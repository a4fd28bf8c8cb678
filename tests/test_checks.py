"""Settings checked before any request (alanews/checks.py): a misspelt name or a bad value is one
line and exit 1, never ignored, never a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from conftest import FAST, ROOT
from inprocess import close, crawler_for, project
from scrapy import Spider
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from alanews import settings as project_settings
from alanews.checks import ENVIRONMENT_ONLY, SETTINGS, check_settings
from alanews.errors import SettingError
from alanews.exitcodes import ExitStatus
from alanews.spiders.categories import EsteriSpider as Esteri


def refused(tmp_path, settings: dict) -> str:
    with pytest.raises(SettingError) as caught:
        close(crawler_for(Esteri, tmp_path / "state", settings))
    return str(caught.value)


@pytest.mark.parametrize(("given", "closest"), [
    ("ALANEWS_BASEURL", "ALANEWS_BASE_URL"),
    ("DELTAFETCH_EARLYSTOP", "DELTAFETCH_EARLY_STOP"),
    ("ALANEWS_CATEGORY_PATH", "ALANEWS_CATEGORY_PATHS"),
])
def test_a_misspelt_setting_is_refused_naming_the_closest_real_one(tmp_path, given, closest):
    assert refused(tmp_path, {given: "x"}) == f"setting {given} is unknown; did you mean {closest}?"


def test_an_environment_variable_that_is_no_setting_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("ALANEWS_DAT_DIR", "/tmp/x")
    assert refused(tmp_path, {}) == "environment variable ALANEWS_DAT_DIR is no setting; did you mean ALANEWS_DATA_DIR?"
    monkeypatch.delenv("ALANEWS_DAT_DIR")
    monkeypatch.setenv("ALANEWS_HOME", "/opt/alanews")  # the deployment's own variables are no settings, and fine
    close(crawler_for(Esteri, tmp_path / "state"))


@pytest.mark.parametrize(("value", "says"), [
    ("{video: video}", "must be a JSON object of spider name to category path"),
    ('["esteri"]', "must be a JSON object of spider name to category path"),
    ('{"meteo": "meteo"}', "'meteo' is no category spider"),
    ('{"esteri": "est eri"}', "the path of 'esteri' must be like sport/calcio"),
    ('{"esteri": 3}', "the path of 'esteri' must be like sport/calcio"),
])
def test_a_malformed_category_paths_value_is_one_line(tmp_path, value, says):
    message = refused(tmp_path, {"ALANEWS_CATEGORY_PATHS": value})
    assert message.startswith("setting ALANEWS_CATEGORY_PATHS must be ") and says in message
    assert message.endswith(f"got {value!r}") and "\n" not in message


def test_slashes_around_a_category_path_are_trimmed(tmp_path):
    crawler = crawler_for(Esteri, tmp_path / "state", {"ALANEWS_CATEGORY_PATHS": '{"esteri": "/esteri/"}'})
    close(crawler)
    assert crawler.spider.paths == ("esteri",)
    assert crawler.settings.getdict("ALANEWS_CATEGORY_PATHS") == {"esteri": "esteri"}


@pytest.mark.parametrize(("name", "value", "says"), [
    ("ALANEWS_MAX_LISTING_PAGES", "many", "an integer of at least 1"),
    ("ALANEWS_AUDIT_GRACE", "-1", "a number of at least 0"),
    ("DELTAFETCH_ENABLED", "maybe", "1 or 0"),
    ("DELTAFETCH_EARLY_STOP", "sometimes", "one of oldest_known, all_known, off"),
    ("ALANEWS_BASE_URL", "127.0.0.1:8123", "an http(s) URL"),
    ("ALANEWS_COVERAGE_RULES", '{"titel": 0.9}', "'titel' is no output field"),
    ("ALANEWS_MONITOR_MAX_INVALID", "2", "a number of at least 0 and at most 1"),
])
def test_a_bad_value_is_one_line_naming_what_it_must_be(tmp_path, name, value, says):
    message = refused(tmp_path, {name: value})
    assert message.startswith(f"setting {name} must be ") and says in message and message.endswith(f"got {value!r}")


def test_values_given_as_text_are_read_once_with_their_type(tmp_path):
    crawler = crawler_for(Esteri, tmp_path / "state", {"DELTAFETCH_EARLY_STOP": "off", "DELTAFETCH_RESET": "on",
                                                       "ALANEWS_MAX_LISTING_PAGES": " 7 "})
    close(crawler)
    assert crawler.settings["DELTAFETCH_RESET"] is True  # "on" read as -a deltafetch_reset=on would be
    assert crawler.settings["ALANEWS_MAX_LISTING_PAGES"] == 7 and crawler.spider.max_listing_pages == 7


def test_scrapys_own_tools_get_the_check_through_the_add_on():
    """`scrapy fetch`/`shell` run Scrapy's DefaultSpider: the add-on checks before any request."""
    with pytest.raises(SettingError, match="did you mean ALANEWS_BASE_URL"):
        get_crawler(Spider, project(ALANEWS_BASEURL="http://127.0.0.1:8123"))


def test_the_table_knows_every_setting_of_the_project():
    in_settings_file = {name for name in dir(project_settings) if name.startswith(("ALANEWS_", "DELTAFETCH_"))}
    set_by_commands = {"ALANEWS_DATA_RUN", "ALANEWS_MONITORS"}
    assert set(SETTINGS) == in_settings_file | set_by_commands
    assert not ENVIRONMENT_ONLY & set(SETTINGS)
    check_settings(get_crawler(Spider, project()).settings, environ={})  # the defaults pass


@pytest.mark.parametrize(("name", "value", "says"), [
    ("DOWNLOAD_DELAY", "abc", "a number of at least 0"),  # Scrapy: a ValueError traceback
    ("CONCURRENT_REQUESTS_PER_DOMAIN", "0", "an integer of at least 1"),  # Scrapy: a crawl that never ends
    ("AUTOTHROTTLE_ENABLED", "maybe", "1 or 0"),
])
def test_a_bad_value_of_scrapys_politeness_settings_is_one_line(name, value, says):
    settings = Settings(project())
    settings.set(name, value, priority="cmdline")
    with pytest.raises(SettingError, match=f"^setting {name} must be {re.escape(says)}"):
        check_settings(settings, environ={})


def test_a_misspelt_setting_stops_scrapy_crawl_before_any_request(replica, tmp_path):
    """The whole guarantee, as a user meets it: exit 1, one line, the replica never asked."""
    fast = [arg for key, value in FAST.items() for arg in ("-s", f"{key}={value}")]
    proc = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "esteri", "-s", f"ALANEWS_BASEURL={replica.url}",
                           "-s", f"ALANEWS_DATA_DIR={tmp_path / 'data'}", *fast],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == ExitStatus.NOT_STARTED
    errors = [line for line in proc.stderr.splitlines() if "] ERROR: " in line]
    assert len(errors) == 1 and errors[0].endswith(
        "Not started: setting ALANEWS_BASEURL is unknown; did you mean ALANEWS_BASE_URL?")
    assert "Traceback" not in proc.stderr and "downloader/request_count" not in proc.stderr
    assert "Exit status 1: not started" in proc.stderr.splitlines()[-1]


@pytest.mark.parametrize("tool", [["fetch"], ["shell", "-c", "1"]], ids=lambda t: t[0])  # view: fetch's class
def test_scrapys_tools_refuse_a_misspelt_setting_in_one_line(replica, tool):
    proc = subprocess.run([sys.executable, "-m", "scrapy", tool[0], f"{replica.url}/", *tool[1:],
                           "-s", "DELTAFETCH_EARLYSTOP=off"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "BROWSER": "false"})
    assert proc.returncode == ExitStatus.NOT_STARTED
    errors = [line.split("] ERROR: ", 1)[1] for line in proc.stderr.splitlines() if "] ERROR: " in line]
    assert errors == ["Not started: setting DELTAFETCH_EARLYSTOP is unknown; did you mean DELTAFETCH_EARLY_STOP?"]
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_scrapy_audit_refuses_a_bad_setting_in_one_line(tmp_path):
    setting = "ALANEWS_AUDIT_GRACE=soon"
    proc = subprocess.run([sys.executable, "-m", "scrapy", "audit", "-s", setting,
                           "-s", f"ALANEWS_DATA_DIR={tmp_path / 'data'}"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == ExitStatus.NOT_STARTED
    errors = [line.split("] ERROR: ", 1)[1] for line in proc.stderr.splitlines() if "] ERROR: " in line]
    assert len(errors) == 1 and errors[0].startswith(f"Not started: setting {setting.split('=')[0]} ")
    assert "Traceback" not in proc.stderr
