"""Shared fixtures: tests never touch the user's real data or cache folders."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import Browser, find_chromium

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache folder for the whole run, so the bundled model is joined once, not per test."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _private_folders(tmp_path: Path, model_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STARCOACH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("STARCOACH_CACHE", str(model_cache))
    monkeypatch.delenv("STARCOACH_QUESTIONS", raising=False)


@pytest.fixture(scope="session")
def _fake_reader():
    from starcoach.meaning import Reader
    from tests.fakes import OrthogonalEmbedder

    return Reader(OrthogonalEmbedder())  # one for the run: its probes are fitted once per bank


@pytest.fixture(autouse=True)
def _fake_meaning(request: pytest.FixtureRequest, _fake_reader):
    """Unit tests read answers with a fake embedder (no model to load); tests marked `model` use
    the real one."""
    from starcoach import scoring

    if request.node.get_closest_marker("model"):
        yield
        return
    old = scoring.set_reader(_fake_reader)
    yield
    scoring.set_reader(old)


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"{SHARED} is missing: the tests need ../shared beside the repo")
    return SHARED


# The browser tests' Chromium: one per module, a page per test (test_browser, test_voice_browser).
@pytest.fixture(scope="module")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        message = "headless Chromium is not installed (apt-get install chromium; or set STARCOACH_CHROMIUM)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def browser(chromium: str) -> Iterator[Browser]:
    with Browser(chromium, width=1280, height=1000) as b:
        yield b
