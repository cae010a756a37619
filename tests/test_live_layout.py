"""The layout of the take's path (issue 12): every device under devices/, no import cycle through
them or the live sessions, and no device library loaded by importing any of them."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "starcoach"
DEVICE_LIBRARIES = ("sounddevice", "soundfile", "pyttsx3", "faster_whisper", "ctranslate2", "onnxruntime", "av")
TAKE_PATH = ["levels", "live_session", "chunked_live", "whisper_live", "take", "refine", "practice", "player",
             "devices.portaudio", "devices.playback", "devices.file_input", "devices.microphone", "devices.speaker",
             "devices.transcriber", "devices.whisper_windows"]


def import_graph() -> dict[str, set[str]]:
    """starcoach module -> the starcoach modules it imports anywhere in its text (lazy imports too)."""
    modules = {"starcoach." + ".".join(p.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__"): p
               for p in SRC.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("starcoach"):
                deps.add(node.module)
                deps.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name.startswith("starcoach"))
        graph[name] = {d for d in deps if d in modules and d != name}
    return graph


def reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        for nxt in graph[todo.pop()] - seen:
            if nxt == goal:
                return True
            seen.add(nxt)
            todo.append(nxt)
    return False


def test_no_import_cycle_runs_through_the_devices_or_the_live_sessions() -> None:
    graph = import_graph()
    for short in TAKE_PATH:
        name = f"starcoach.{short}"
        assert name in graph, name
        back = [d for d in graph[name] if reaches(graph, d, name)]
        assert not back, f"{name} imports {back}, which import it back"


def test_the_transcriber_and_its_live_windows_import_one_way() -> None:
    graph = import_graph()
    assert "starcoach.devices.whisper_windows" in graph["starcoach.devices.transcriber"]
    assert not reaches(graph, "starcoach.devices.whisper_windows", "starcoach.devices.transcriber")


@pytest.mark.parametrize("module", TAKE_PATH)
def test_importing_alone_loads_no_device_library(module: str) -> None:
    code = (f"import sys, starcoach.{module}; "
            f"loaded = [m for m in {DEVICE_LIBRARIES!r} if m in sys.modules]; assert not loaded, loaded")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_device_lives_in_devices() -> None:
    """Outside devices/, a device library is imported by nobody on the take's path."""
    for short in TAKE_PATH:
        if short.startswith("devices."):
            continue
        tree = ast.parse((SRC / f"{short.replace('.', '/')}.py").read_text(encoding="utf-8"))
        imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not imported & set(DEVICE_LIBRARIES), (short, imported & set(DEVICE_LIBRARIES))
