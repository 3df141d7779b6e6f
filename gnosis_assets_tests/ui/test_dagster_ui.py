"""The Dagster UI over a real sync: the asset graph page and the page of `datasets/chembl`.

One `gnosis sync` of the sample volumes fills a fresh GNOSIS_HOME. `dagster-webserver` (without
the daemon) then serves `workspace.yaml` on 127.0.0.1 against that instance, and headless
Chromium, driven by Playwright, renders the pages. The tests compare what the page shows with
the checked-in asset graph snapshot and with `metadata.json` in the local store. The webserver's
GraphQL endpoint serves as a cross-check. The browser may reach 127.0.0.1 only, and any other
request is aborted. The S3 and MongoDB test servers are not used: the sync runs on the embedded
defaults, a local store folder and the embedded SecantusDB server, which teardown stops.
"""

import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Route, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from gnosis_assets.registry.embedded import stop_embedded_server
from gnosis_assets.settings import DEFAULT_BUCKET
from gnosis_assets_tests.conftest import PRODUCT_VARIABLES

log = logging.getLogger(__name__)

CHROMIUM = shutil.which("chromium")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="chromium is not installed (Debian: apt-get install chromium); CI installs it",
    ),
]

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT_PATH = REPOSITORY_ROOT / "gnosis_assets_tests" / "defs" / "snapshots" / "asset_graph.json"
SYNC_TIMEOUT_S = 240
WEBSERVER_START_TIMEOUT_S = 90
PAGE_TIMEOUT_MS = 30_000

# Flags for Chromium run as root without a GPU, with its background requests to outside hosts
# (updates, sync, QUIC probes) turned off. Playwright adds --headless.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# CSS-module class names in Dagster 1.13's UI bundle end in a build hash, so the selectors match
# on their stable prefix.
ASSET_NAME_SELECTOR = "[class*='AssetNode_assetName']"
MATERIALIZED_BOX_SELECTOR = "[class*='AssetNode_minimalAssetNodeBox']"
GROUP_SELECTOR = "foreignObject.group"
GROUP_HEADER_SELECTOR = "[class*='ExpandedGroupNode_groupNodeHeaderBox']"


def console_script(name: str) -> str:
    """Return the path of a console script installed beside the running interpreter."""
    beside = Path(sys.executable).with_name(name)
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; run `pip install -e .[test]`")
    return found


def product_environment(home: Path) -> dict[str, str]:
    """Return os.environ without the product's variables, pointed at `home` only."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in PRODUCT_VARIABLES and not name.startswith("GNOSIS_")
    }
    environment["GNOSIS_HOME"] = str(home)
    environment["DAGSTER_HOME"] = str(home / "dagster")
    return environment


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def load_snapshot() -> dict[str, Any]:
    return json.loads(SNAPSHOT_PATH.read_text(encoding="utf-8"))


def published_metadata(home: Path, source: str) -> dict[str, Any]:
    """Read the one metadata.json that the sync published for `source`."""
    paths = sorted((home / "s3" / DEFAULT_BUCKET / "datasets" / source).glob("*/metadata.json"))
    assert len(paths) == 1, f"expected one published {source} version, found {paths}"
    return json.loads(paths[0].read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def gnosis_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Run `gnosis sync` of the sample volumes into a fresh GNOSIS_HOME."""
    workdir = tmp_path_factory.mktemp("ui")
    home = workdir / "home"
    try:
        result = subprocess.run(
            [console_script("gnosis"), "sync", "--log-level", "WARNING"],
            cwd=workdir,
            env=product_environment(home),
            capture_output=True,
            text=True,
            timeout=SYNC_TIMEOUT_S,
        )
        assert result.returncode == 0, (
            f"gnosis sync exited with {result.returncode}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr[-4000:]}"
        )
        yield home
    finally:
        stop_embedded_server(home / "mongodb")


@pytest.fixture(scope="module")
def webserver(gnosis_home: Path) -> Iterator[str]:
    """Start dagster-webserver on a free loopback port and yield its base URL once it is up."""
    port = free_port()
    log_path = gnosis_home / "webserver.log"
    command = [
        console_script("dagster-webserver"),
        "-w",
        "workspace.yaml",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
    ]
    with log_path.open("wb") as output:
        # A session of its own, so teardown can stop the code server that the webserver starts.
        process = subprocess.Popen(
            command,
            cwd=REPOSITORY_ROOT,
            env=product_environment(gnosis_home),
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_webserver(process, base_url, log_path)
        yield base_url
    finally:
        stop_process_group(process)


def wait_for_webserver(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + WEBSERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"dagster-webserver exited with {process.returncode} before it responded:\n"
                f"{log_path.read_text(encoding='utf-8', errors='replace')[-4000:]}"
            )
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/server_info", timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    pytest.fail(
        f"dagster-webserver timed out: no response on {base_url}/server_info "
        f"within {WEBSERVER_START_TIMEOUT_S} s:\n"
        f"{log_path.read_text(encoding='utf-8', errors='replace')[-4000:]}"
    )


def stop_process_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """Launch headless Chromium with a fresh profile that may reach 127.0.0.1 only."""
    blocked: list[str] = []

    def allow_loopback_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1600, "height": 1000},
        )
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        context.route("**/*", allow_loopback_only)
        try:
            yield context
        finally:
            context.close()
    if blocked:
        log.warning("aborted %d browser requests to other hosts: %s", len(blocked), blocked[:5])


@pytest.fixture
def page(browser: BrowserContext) -> Iterator[Page]:
    page = browser.new_page()
    yield page
    page.close()


def open_page(page: Page, url: str) -> None:
    """Open `url` and dismiss the community sign-up dialog that a fresh profile gets once."""
    page.goto(url)
    page.wait_for_selector("text=Lineage")
    skip = page.get_by_role("button", name="Skip")
    with contextlib.suppress(PlaywrightTimeoutError):
        skip.click(timeout=3_000)


def assets_by_group(page: Page) -> dict[str, list[str]]:
    """Map each rendered group box to the names of the asset nodes drawn inside it."""
    groups = []
    for box in page.locator(GROUP_SELECTOR).all():
        bounds = box.bounding_box()
        name = box.locator(GROUP_HEADER_SELECTOR).inner_text().strip()
        assert bounds is not None, f"group {name} has no bounding box"
        groups.append((name, bounds))

    placed: dict[str, list[str]] = {name: [] for name, _ in groups}
    for node in page.locator(ASSET_NAME_SELECTOR).all():
        bounds = node.bounding_box()
        assert bounds is not None
        center_x = bounds["x"] + bounds["width"] / 2
        center_y = bounds["y"] + bounds["height"] / 2
        for name, group in groups:
            inside_x = group["x"] <= center_x <= group["x"] + group["width"]
            inside_y = group["y"] <= center_y <= group["y"] + group["height"]
            if inside_x and inside_y:
                placed[name].append(node.inner_text().strip())
                break
        else:
            placed.setdefault("(no group)", []).append(node.inner_text().strip())
    return {name: sorted(names) for name, names in placed.items()}


def expected_assets_by_group() -> dict[str, list[str]]:
    """Map each group in the snapshot to the last path component of its asset keys."""
    expected: dict[str, list[str]] = {}
    for key, node in load_snapshot()["assets"].items():
        expected.setdefault(node["group"], []).append(key.split("/")[-1])
    return {name: sorted(names) for name, names in expected.items()}


def graphql(base_url: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = httpx.post(
        f"{base_url}/graphql", json={"query": query, "variables": variables or {}}, timeout=30
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return dict(body["data"])


def test_graph_page_shows_assets(page: Page, webserver: str, tmp_path: Path) -> None:
    open_page(page, f"{webserver}/asset-groups")
    page.wait_for_selector(GROUP_SELECTOR)
    # The global graph opens with its groups collapsed, and Alt+E expands them all.
    page.keyboard.press("Alt+e")
    expected = expected_assets_by_group()
    asset_count = sum(len(names) for names in expected.values())
    # The sync materialized every asset, and the UI colours a materialized node green once its
    # status has loaded.
    page.wait_for_function(
        """([selector, count]) => {
            const boxes = [...document.querySelectorAll(selector)];
            return boxes.length === count
                && boxes.every((box) => box.style.cssText.includes("background-green"));
        }""",
        arg=[MATERIALIZED_BOX_SELECTOR, asset_count],
    )
    page.wait_for_timeout(1_000)  # let the graph finish its zoom-to-fit animation
    page.screenshot(path=str(tmp_path / "asset_graph.png"))

    rendered = assets_by_group(page)

    assert rendered == expected
    assert rendered["datasets"] == ["bindingdb", "chembl", "gdsc"]


def test_asset_page_shows_checksums(
    page: Page, webserver: str, gnosis_home: Path, tmp_path: Path
) -> None:
    metadata = published_metadata(gnosis_home, "chembl")

    open_page(page, f"{webserver}/assets/datasets/chembl")
    page.get_by_text(metadata["content_hash"]).first.wait_for()
    page.screenshot(path=str(tmp_path / "datasets_chembl.png"))
    text = page.inner_text("body")

    assert metadata["content_hash"] in text
    assert metadata["version"] in text
    for item in metadata["files"]:
        assert item["key"] in text, item["key"]
        assert item["sha256"] in text, f"SHA256 of {item['key']} is not on the page"
    for neighbour in ("splits / chembl", "models / gnosis-i / eval_reports"):
        assert neighbour in text, f"{neighbour} is not listed as downstream of datasets/chembl"


def test_graphql_matches_snapshot_and_store(webserver: str, gnosis_home: Path) -> None:
    nodes = graphql(webserver, "{ assetNodes { assetKey { path } dependencyKeys { path } } }")
    served = {
        "/".join(node["assetKey"]["path"]): sorted(
            "/".join(dep["path"]) for dep in node["dependencyKeys"]
        )
        for node in nodes["assetNodes"]
    }
    expected = {key: sorted(node["deps"]) for key, node in load_snapshot()["assets"].items()}
    assert served == expected

    query = """
    query ($key: AssetKeyInput!) {
      assetOrError(assetKey: $key) {
        ... on Asset {
          assetMaterializations(limit: 1) {
            partition
            metadataEntries {
              label
              ... on TextMetadataEntry { text }
              ... on TableMetadataEntry { table { records } }
            }
          }
        }
      }
    }
    """
    metadata = published_metadata(gnosis_home, "chembl")
    data = graphql(webserver, query, {"key": {"path": ["datasets", "chembl"]}})
    (materialization,) = data["assetOrError"]["assetMaterializations"]
    entries = {entry["label"]: entry for entry in materialization["metadataEntries"]}
    records = [json.loads(record) for record in entries["files"]["table"]["records"]]

    assert materialization["partition"] == metadata["version"]
    assert entries["content_hash"]["text"] == metadata["content_hash"]
    assert {item["key"]: item["sha256"] for item in records} == {
        item["key"]: item["sha256"] for item in metadata["files"]
    }
