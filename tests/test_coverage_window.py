"""Field coverage judged over the last articles written by any run of the data directory: a drift is
seen within ALANEWS_COVERAGE_WINDOW articles, whatever the sizes of the runs (hourly runs included)."""

from __future__ import annotations

import json

import pytest
from conftest import run_crawl


def publish_broken(replica, path: str, k: int, status: str) -> None:
    """``k`` new posts of ``path`` whose pages show the theme change ``status`` (replica's break)."""
    for line in replica.post(f"/__replica__/publish?count={k}&category={path}").splitlines():
        replica.post(f"/__replica__/break?post_id={json.loads(line)['post_id']}&status={status}")


@pytest.mark.parametrize("spiders", [("esteri",), ("esteri", "cronaca")], ids=["one spider", "two spiders"])
def test_hourly_runs_after_a_theme_change_fail_within_the_window(make_replica, tmp_path, spiders):
    replica = make_replica("--articles", "120", "--seed", "71")
    data = tmp_path / "data"
    settings = {"ALANEWS_DATA_DIR": str(data)}
    for spider in spiders:
        assert run_crawl(spider, replica.url, tmp_path / f"first-{spider}", "related_depth=0",
                         settings=settings).returncode == 0
    codes = []
    for hour in range(6):  # a theme update renamed the subtitle's class: 4 new posts an hour
        spider = spiders[hour % len(spiders)]
        publish_broken(replica, spider, 4, "standfirst")
        run = run_crawl(spider, replica.url, tmp_path / f"hour{hour}", "related_depth=0", settings=settings)
        assert run.items and all(item["subtitle"] is None for item in run.items)  # a few, none with it
        codes.append(run.returncode)
        if run.returncode:
            break
    assert codes[-1] == 3 and len(codes) <= 6, codes
    errors = [line for line in run.log.splitlines() if "] ERROR: Monitor failed: Field coverage/subtitle" in line]
    assert len(errors) == 1 and "articles written last by any run" in errors[0], run.log[-3000:]
    assert all(code == 0 for code in codes[:-1])  # the runs before: the window still held enough good ones
