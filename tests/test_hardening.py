"""Hostile and unlucky input (issue 11): each case gets one line and exit 1 (or the documented
behaviour), never a traceback, a hang, unbounded memory or a half-written file.

Numbered as in the issue: 1 numbers from an import, 3 slow patterns, 4 bank validation, 5 NaN in
words, 6 write errors, 7 leftovers after kill -9, 8 scoring an interrupted session, 9 the minor ones.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from starcoach import safe_regex
from starcoach.bank import load_bank
from starcoach.cli import app
from starcoach.errors import StarcoachError
from tests.builders.bank import TINY_ANSWER, TINY_QUESTION, TINY_RUBRIC, write_bank
from tests.builders.cli import runner


def one_line_error(result, *needles: str) -> str:
    """The result is exit 1 with one 'starcoach: ...' line and no traceback; returns the line."""
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception  # not an escaped exception
    text = result.output.strip()
    assert "Traceback" not in text and text.count("\n") == 0, text
    assert text.startswith("starcoach: "), text
    for needle in needles:
        assert needle in text, text
    return text


def run_cli(args: list[str], *, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """The real command in a child: a hang fails the test by the timeout instead of hanging it."""
    code = "import sys; sys.argv[0] = 'starcoach'; from starcoach.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)


def with_pattern(pattern: str) -> dict:
    q = copy.deepcopy(TINY_QUESTION)
    q["mistakes"][0]["patterns"] = [pattern]
    return q


# --------------------------------------------------------------------------- 3: slow patterns


@pytest.mark.parametrize("pattern", [r"(\w+\s?)+!$", r"(a*)*b", r"(?:\w+ ?)*done", r"((very )+\w+)+x", r"(x+){2,}y"])
def test_a_nested_repeat_in_the_bank_is_refused_at_load_with_file_and_field(tmp_path: Path, pattern: str) -> None:
    folder = write_bank(tmp_path / "bank", with_pattern(pattern))
    with pytest.raises(StarcoachError) as e:
        load_bank(folder)
    text = str(e.value)
    assert str(folder / "tiny.yaml") in text and "mistakes[0].patterns[0]: unsafe regular expression" in text
    assert "exponential" in text and "\n" not in text


@pytest.mark.parametrize("pattern", [
    r"\btheir fault\b", r"((my|the|a) )*(team|org)", r"(?:\w+ ){0,3}done", r"\b(in|at) (the |our )*standups?\b.{0,40}x",
    r"(?>\w+\s?)+!", r"(\w++\s?)+!", r"\d+(?:\.\d+)?%", r"(?:very )+good",
])
def test_ordinary_patterns_pass_the_shape_check(pattern: str) -> None:
    assert safe_regex.problem(pattern) is None


def test_every_shipped_pattern_passes_the_shape_check() -> None:
    bank = load_bank()  # the loader runs the check on every pattern
    checks = [*bank.rubric.checks, *(c for q in bank.questions.values() for c in q.all_checks()),
              *(c for q in bank.questions.values() for f in q.follow_ups for c in f.avoid)]
    patterns = [p for c in checks for p in c.params.get("patterns", ())]
    assert patterns and all(safe_regex.problem(p) is None for p in patterns)


def test_score_with_a_catastrophic_pattern_ends_at_once_with_one_line(tmp_path: Path) -> None:
    """`(\\w+\\s?)+!$` on a 16-word answer used to hang `score` (minutes of backtracking)."""
    folder = write_bank(tmp_path / "bank", with_pattern(r"(\w+\s?)+!$"))
    answer = tmp_path / "answer.txt"
    answer.write_text(" ".join(["word"] * 16), encoding="utf-8")
    began = time.monotonic()
    done = run_cli(["score", str(answer), "-q", "tiny"], env={"STARCOACH_QUESTIONS": str(folder)}, timeout=60)
    assert time.monotonic() - began < 30
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr and done.stderr.strip().count("\n") == 0, done.stderr
    assert "tiny.yaml" in done.stderr and "unsafe regular expression" in done.stderr


def test_a_slow_pattern_the_shape_check_misses_is_stopped_by_the_time_bound(tmp_path: Path) -> None:
    """Overlapping alternatives under a repeat pass the shape check; the time bound stops them."""
    pattern = r"(\w|\w\w)+!$"
    assert safe_regex.problem(pattern) is None
    folder = write_bank(tmp_path / "bank", with_pattern(pattern))
    answer = tmp_path / "answer.txt"
    answer.write_text(TINY_ANSWER + " " + "x" * 60, encoding="utf-8")
    began = time.monotonic()
    done = run_cli(["score", str(answer), "-q", "tiny"], env={"STARCOACH_QUESTIONS": str(folder)}, timeout=60)
    assert time.monotonic() - began < 30
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr and done.stderr.strip().count("\n") == 0, done.stderr
    assert "took over" in done.stderr and "simplify it" in done.stderr


def test_the_time_bound_leaves_no_timer_behind() -> None:
    import signal

    bounded = safe_regex.compile(r"\bword\b")
    assert [m.group() for m in bounded.finditer("a word and a word")] == ["word", "word"]
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, None)


# --------------------------------------------------------------------------- 4: bank validation


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", ".NaN"])
def test_nan_and_inf_targets_are_refused_with_file_and_field(tmp_path: Path, value: str) -> None:
    folder = write_bank(tmp_path / "bank")
    text = (folder / "tiny.yaml").read_text(encoding="utf-8").replace("max_s: 120", f"max_s: {value}", 1)
    (folder / "tiny.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(StarcoachError, match=r"tiny\.yaml: targets\.total\.max_s: expected a finite number"):
        load_bank(folder)


def test_nan_in_a_rubric_number_is_refused(tmp_path: Path) -> None:
    rubric = copy.deepcopy(TINY_RUBRIC)
    rubric["checks"].append({"id": "pace", "kind": "delivery", "metric": "wpm", "min": float("nan"),
                             "message": "Pace", "advice": "Slow down."})
    with pytest.raises(StarcoachError, match=r"rubric\.yaml: checks\[2\]\.min: expected a finite number"):
        load_bank(write_bank(tmp_path / "bank", rubric=rubric))


def test_a_nan_target_is_one_line_from_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_bank(tmp_path / "bank")
    text = (folder / "tiny.yaml").read_text(encoding="utf-8").replace("min_s: 10", "min_s: .nan", 1)
    (folder / "tiny.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("STARCOACH_QUESTIONS", str(folder))
    answer = tmp_path / "answer.txt"
    answer.write_text(TINY_ANSWER, encoding="utf-8")
    one_line_error(runner.invoke(app, ["score", str(answer), "-q", "tiny"]), "tiny.yaml", "finite number")


@pytest.mark.parametrize("text", ["x: " + "[" * 3000 + "]" * 3000 + "\n",
                                  "x:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 2000)),
                                  "a: &a [" + "[" * 2000 + "]" * 2000 + "]\n"])
def test_deep_nesting_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    folder = write_bank(tmp_path / "bank")
    (folder / "tiny.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(StarcoachError, match=r"tiny\.yaml: nested too deeply"):
        load_bank(folder)
    monkeypatch.setenv("STARCOACH_QUESTIONS", str(folder))
    one_line_error(runner.invoke(app, ["questions"]), "tiny.yaml", "nested too deeply")


def test_a_duplicate_key_is_an_error_naming_file_and_line(tmp_path: Path) -> None:
    folder = write_bank(tmp_path / "bank")
    lines = (folder / "tiny.yaml").read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("title:"))
    lines.insert(at + 1, "title: Another title")
    (folder / "tiny.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(StarcoachError) as e:
        load_bank(folder)
    assert str(e.value) == (f"{folder / 'tiny.yaml'}: line {at + 2}: the key 'title' is given twice in one mapping "
                            f"(first on line {at + 1})")


def test_a_duplicate_key_deep_in_the_file_and_in_the_rubric(tmp_path: Path) -> None:
    folder = write_bank(tmp_path / "bank")
    (folder / "rubric.yaml").write_text("version: 1\nchecks:\n- id: a\n  kind: structure\n  id: b\n", encoding="utf-8")
    with pytest.raises(StarcoachError, match=r"rubric\.yaml: line 5: the key 'id' is given twice"):
        load_bank(folder)
    (folder / "rubric.yaml").write_text(yaml.safe_dump(TINY_RUBRIC), encoding="utf-8")
    (folder / "tiny.yaml").write_text("{id: tiny, id: tiny}\n", encoding="utf-8")
    with pytest.raises(StarcoachError, match=r"tiny\.yaml: line 1: the key 'id' is given twice"):
        load_bank(folder)


def test_yaml_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    folder = write_bank(tmp_path / "bank")
    text = (folder / "tiny.yaml").read_text(encoding="utf-8")
    text = text.replace("  total:\n    min_s: 60\n    max_s: 120\n",
                        "  total: &t\n    min_s: 60\n    max_s: 120\n", 1)
    assert "&t" in text
    text = text.replace("    situation:\n      min_s: 10\n      max_s: 40\n",
                        "    situation:\n      <<: *t\n      min_s: 10\n      max_s: 40\n", 1)
    (folder / "tiny.yaml").write_text(text, encoding="utf-8")
    assert load_bank(folder).question("tiny").targets.sections["situation"] == (10.0, 40.0)


# --------------------------------------------------------------------------- 1 and 5: numbers in a session

import json  # noqa: E402

from starcoach.store import SessionStore  # noqa: E402
from tests.builders.archives import snapshot, zip_bytes  # noqa: E402
from tests.builders.sessions import typed_session  # noqa: E402


def good_session_json() -> dict:
    store = SessionStore()
    session = typed_session(store)
    data = json.loads((session.path / "session.json").read_text(encoding="utf-8"))
    store.delete(session.id)
    return data


def edited(data: dict, path: str, value) -> dict:
    """A deep copy of `data` with the value at a dotted path ("answers.0.result.duration_s") replaced."""
    out = copy.deepcopy(data)
    *parents, last = path.split(".")
    node = out
    for p in parents:
        node = node[int(p)] if p.isdigit() else node[p]
    node[int(last) if last.isdigit() else last] = value
    return out


HOSTILE_NUMBERS = {
    "huge-duration": ("answers.0.result.duration_s", 1e12, "out of range"),
    "huge-section-time": ("answers.0.result.sections.0.speaking_s", 1e15, "out of range"),
    "huge-target": ("answers.0.result.total.target_max_s", 1e300, "out of range"),
    "negative-huge-start": ("answers.0.result.words.0.start", -1e9, "out of range"),
    "nan-word-start": ("answers.0.result.words.0.start", float("nan"), "not a finite number"),
    "inf-word-end": ("answers.0.result.words.3.end", float("inf"), "not a finite number"),
    "nan-score": ("answers.0.result.score", float("nan"), "not a finite number"),
    "inf-wpm": ("answers.0.result.delivery.wpm", float("-inf"), "not a finite number"),
    "huge-count": ("answers.0.result.sections.1.word_count", 10**30, "out of range"),
    "nan-pause": ("answers.0.result.delivery.long_pauses", [{"start": float("nan"), "end": 1, "duration": 1}],
                  "not a finite number"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_NUMBERS))
def test_import_refuses_numbers_out_of_range_and_leaves_nothing(case: str, tmp_path: Path) -> None:
    """`import` checked only the top level: duration_s 1e12 was accepted, then `report --html` grew
    without limit (span/1200 axis ticks) and NaN words crashed `replay`."""
    path, value, message = HOSTILE_NUMBERS[case]
    data = edited(good_session_json(), path, value)
    archive = tmp_path / "in" / "hostile.zip"
    archive.parent.mkdir()
    archive.write_bytes(zip_bytes([(f"{data['id']}/session.json", json.dumps(data).encode())]))
    root = SessionStore().root
    before = snapshot(root)
    result = runner.invoke(app, ["import", str(archive)])
    line = one_line_error(result, str(archive), message)
    assert path.split(".")[-1] in line
    assert snapshot(root) == before


@pytest.mark.parametrize("case", ["huge-duration", "nan-word-start", "inf-word-end"])
@pytest.mark.parametrize("command", [["replay", "{id}"], ["replay", "{id}", "--rescore"], ["report", "{id}", "--html"],
                                     ["report", "{id}", "--markdown"], ["export", "{id}", "-o", "{tmp}"],
                                     ["progress"], ["sessions", "--json"]])
def test_a_stored_session_with_bad_numbers_is_damaged_not_a_crash_or_a_hang(case: str, command: list[str],
                                                                            tmp_path: Path) -> None:
    """The same numbers edited into a stored session.json: read, they are refused the same way."""
    store = SessionStore()
    session = typed_session(store)
    path, value, message = HOSTILE_NUMBERS[case]
    (session.path / "session.json").write_text(json.dumps(edited(session.data, path, value)), encoding="utf-8")
    args = [a.format(id=session.id, tmp=tmp_path) for a in command]
    result = runner.invoke(app, args)
    if command[0] in ("progress", "sessions"):  # lists: the session is shown as damaged, the list works
        assert result.exit_code == 0, result.output
        assert "Traceback" not in result.output
        if command[0] == "sessions":
            (listed,) = json.loads(result.stdout)
            assert listed["status"] == "damaged" and message in listed["reason"]
        return
    one_line_error(result, f"session {session.id} is damaged", message)
    assert not list(tmp_path.glob("*.zip"))


def test_axis_ticks_are_bounded_for_any_span() -> None:
    from starcoach.report_svg import _ticks

    assert _ticks(100.0) == [0, 15, 30, 45, 60, 75, 90]  # unchanged for ordinary answers
    assert _ticks(5000.0) == [0, 1200, 2400, 3600, 4800]
    for span in (1e4, 1e6, 1e12, 1e300):
        assert 1 <= len(_ticks(span)) <= 9, span


def test_nan_in_words_written_by_an_old_version_is_listed_as_damaged() -> None:
    store = SessionStore()
    session = typed_session(store)
    text = (session.path / "session.json").read_text(encoding="utf-8")
    first = json.loads(text)["answers"][0]["result"]["words"][0]["start"]
    text = text.replace(f'"start": {json.dumps(first)}', '"start": NaN', 1)
    assert "NaN" in text
    (session.path / "session.json").write_text(text, encoding="utf-8")
    (item,) = store.list()
    assert item.status == "damaged" and "not a finite number" in item.reason


# --------------------------------------------------------------------------- 6: write errors

REPO = Path(__file__).resolve().parent.parent

_FULL_DISK_CHILD = """
import json, resource, sys
from pathlib import Path
sys.path.insert(0, {repo!r})
from tests.fakes import voiced
from tests.builders.bank import TINY_ANSWER as ANSWER
from tests.builders.practice import make_practice
tmp = Path({tmp!r})
practice, _ = make_practice(tmp, [voiced(40), voiced(10, 1)], ANSWER + " I would do it again.", question_id="tiny",
                            follow_ups=1)
practice.bank  # the bank is read before the limit: only the take's file reaches it
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, resource.RLIM_INFINITY))
session = practice.run()
print(json.dumps({{"id": session.id, "status": session.status, "path": str(session.path)}}))
"""


def test_a_write_error_mid_take_stops_the_take_which_is_kept_and_scored(tmp_path: Path) -> None:
    """A file-size limit (or a full disk) at 12.5 s into a 40 s take: it used to end in a raw
    soundfile.LibsndfileError traceback, the take unscored. Now the take stops there, is scored as
    it is, the session ends (interrupted), and the note says the take stopped and where it is."""
    limit = 44 + 16000 * 2 * 12 + 16000  # 12.5 s of 16 kHz 16-bit mono
    code = _FULL_DISK_CHILD.format(repo=str(REPO), tmp=str(tmp_path), limit=limit)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO,
                          env={**os.environ, "STARCOACH_HOME": str(tmp_path / "home")})
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["status"] == "interrupted"
    session = SessionStore(tmp_path / "sessions").load(out["id"])
    assert len(session.answers) == 1  # no follow-up after the take that could not be written
    result = session.answers[0]["result"]
    assert result is not None and result["words"] and result["findings"]
    wav = session.audio_file(0)
    import soundfile as sf

    duration = sf.info(wav).duration
    assert 11.0 <= duration <= 12.6, duration
    assert result["duration_s"] == pytest.approx(duration, abs=0.3)
    view = " ".join((tmp_path / "view.txt").read_text(encoding="utf-8").split())
    assert "the recording could not be written (the file-size limit" in view
    assert f"is kept at {wav}" in view and "the take ends at 12" in view


def test_write_take_turns_a_write_error_into_a_stop(tmp_path: Path) -> None:
    import queue

    import numpy as np

    from starcoach.devices import microphone

    class Failing:
        """A SoundFile whose disk fills after three blocks."""

        def __init__(self, real) -> None:
            self.real, self.n = real, 0

        def write(self, pcm) -> None:
            self.n += 1
            if self.n > 3:
                raise RuntimeError("System error.")
            self.real.write(pcm)

        def __getattr__(self, name):
            return getattr(self.real, name)

    blocks: queue.Queue = queue.Queue()
    for _ in range(10):
        blocks.put(np.full((1600, 1), 0.05, dtype=np.float32))
    import soundfile

    real_open = soundfile.SoundFile
    try:
        soundfile.SoundFile = lambda *a, **k: Failing(real_open(*a, **k))  # type: ignore[misc]
        rec = microphone.write_take(blocks, tmp_path / "take.wav", sample_rate=16000, should_stop=lambda s: False)
    finally:
        soundfile.SoundFile = real_open  # type: ignore[misc]
    assert rec.stopped_by == "write_error" and rec.error
    assert rec.duration_s == pytest.approx(0.3)
    assert soundfile.info(tmp_path / "take.wav").duration == pytest.approx(0.3)


def test_export_into_an_unwritable_folder_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests run as root, for whom no folder is unwritable: the refusal is what mkstemp raises."""
    import tempfile

    session = typed_session(SessionStore())
    folder = tmp_path / "locked"
    folder.mkdir()
    real = tempfile.mkstemp

    def refused(*args, **kwargs):
        if Path(kwargs.get("dir", "")) == folder:
            raise PermissionError(13, "Permission denied")
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    one_line_error(runner.invoke(app, ["export", session.id, "-o", str(folder)]), "cannot write", "Permission denied")
    one_line_error(runner.invoke(app, ["report", session.id, "-o", str(folder)]), "cannot write", "Permission denied")
    assert list(folder.iterdir()) == []


def test_export_into_a_read_only_file_system_is_one_line(tmp_path: Path) -> None:
    session = typed_session(SessionStore())
    one_line_error(runner.invoke(app, ["export", session.id, "-o", "/proc/"]), "cannot write /proc/")


# --------------------------------------------------------------------------- 9: the minor ones


def test_a_recording_linked_outside_the_data_folder_is_not_embedded(tmp_path: Path) -> None:
    from tests.builders.sessions import audio_session

    session = audio_session(SessionStore())
    secret = tmp_path / "secret.wav"
    secret.write_bytes(session.audio_path(0).read_bytes())
    session.audio_path(0).unlink()
    session.audio_path(0).symlink_to(secret)
    out = tmp_path / "page.html"
    result = runner.invoke(app, ["report", session.id, "--html", "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert page.count("data:audio/") == 1  # the follow-up's own file only
    result = runner.invoke(app, ["report", session.id, "--markdown", "-o", str(tmp_path / "page.md")])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "page-answer-0.wav").exists() and (tmp_path / "page-answer-1.wav").exists()


# --------------------------------------------------------------------------- 7: leftovers after kill -9

from starcoach import leftovers  # noqa: E402


def age(path: Path, seconds: float = 120.0) -> None:
    """Make `path` look `seconds` old (what a leftover from an earlier run is)."""
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


def big_archive(tmp_path: Path) -> Path:
    """An exported session with a 4 MB recording, so the import has something to extract."""
    import numpy as np
    import soundfile as sf

    from tests.builders.sessions import audio_session

    store = SessionStore()
    session = audio_session(store)
    sf.write(session.audio_path(0), np.zeros(16000 * 120, dtype=np.float32), 16000, subtype="PCM_16")
    from starcoach.archive import export_session

    out = export_session(session.id, tmp_path / "big.zip")
    store.delete(session.id)
    return out


_KILLED_IMPORT_CHILD = """
import os, signal, sys
sys.path.insert(0, {repo!r})
from starcoach import archive
real = archive._extract
def extract_then_die(zf, info, dest, bad):
    real(zf, info, dest, bad)
    os.kill(os.getpid(), signal.SIGKILL)  # as kill -9 mid-import
archive._extract = extract_then_die
archive.import_session({archive!r})
"""


def test_a_killed_import_leaves_nothing_after_the_next_start(tmp_path: Path) -> None:
    """kill -9 mid-import left a hidden .import-* folder (the size of the recording) and an empty
    <id> folder that `sessions` listed as damaged; the next start removes both."""
    archive = big_archive(tmp_path)
    root = SessionStore().root
    done = subprocess.run([sys.executable, "-c", _KILLED_IMPORT_CHILD.format(repo=str(REPO), archive=str(archive))],
                          capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == -9, done
    left = sorted(p.name for p in root.iterdir())
    assert any(n.startswith(".import-") for n in left) and any(not n.startswith(".") for n in left), left
    for p in root.iterdir():
        age(p)
    result = runner.invoke(app, ["sessions", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []  # no damaged entry
    assert list(root.iterdir()) == []
    # And the import works afterwards, under the archive's own id.
    result = runner.invoke(app, ["import", str(archive)])
    assert result.exit_code == 0, result.output
    assert [p.name for p in root.iterdir() if not p.name.startswith(".")] == [result.stdout.split()[-1]]


def test_an_import_in_progress_is_not_cleaned(tmp_path: Path) -> None:
    root = SessionStore().root
    root.mkdir(parents=True)
    staging, reserved = root / ".import-live", root / "20260101-000000-x"
    staging.mkdir()
    reserved.mkdir()
    (staging / "part").write_bytes(b"x" * 100)
    for p in (staging, reserved):
        age(p)
    fds = [leftovers.hold(staging), leftovers.hold(reserved)]
    try:
        assert leftovers.clean_sessions(root) == []
        assert staging.exists() and reserved.exists()
    finally:
        for fd in fds:
            leftovers.release(fd)
    assert sorted(p.name for p in leftovers.clean_sessions(root)) == [".import-live", reserved.name]


def test_fresh_leftovers_are_kept_old_ones_go() -> None:
    store = SessionStore()
    session = typed_session(store)
    root = store.root
    tmp_json = session.path / ".session.json.abcd.tmp"
    tmp_json.write_text("{", encoding="utf-8")
    deleting = root / ".deleting-x-1"
    (deleting / "x").mkdir(parents=True)
    empty = root / "20260101-000000-empty"
    empty.mkdir()
    assert leftovers.clean_sessions(root) == []  # all fresh: perhaps a write in progress
    for p in (tmp_json, deleting, empty):
        age(p)
    assert sorted(p.name for p in leftovers.clean_sessions(root)) == [".deleting-x-1", ".session.json.abcd.tmp",
                                                                       empty.name]
    assert (session.path / "session.json").is_file() and store.load(session.id)  # the session itself stays


_KILLED_JOIN_CHILD = """
import hashlib, os, signal, sys
sys.path.insert(0, {repo!r})
from pathlib import Path
from starcoach import models
part1, part2 = Path({tmp!r}) / "p1", Path({tmp!r}) / "p2"
part1.write_bytes(b"a" * 3_000_000); part2.write_bytes(b"b" * 3_000_000)
extra = Path({tmp!r}) / "config.json"; extra.write_text("{{}}")
models._base_source = lambda: models.BaseSource(parts=(part1, part2), extras=tuple(
    extra.with_name(n) for n in models._BASE_EXTRAS))
for n in models._BASE_EXTRAS:
    extra.with_name(n).write_text("x")
real_fsync = os.fsync
def die(fd):
    os.kill(os.getpid(), signal.SIGKILL)  # as kill -9 during the first model join
os.fsync = die
models.ensure_base_model()
"""


def test_a_killed_model_join_leaves_no_temporary_file_after_the_next_start(tmp_path: Path) -> None:
    from starcoach.models import base_model_folder

    folder = base_model_folder()
    done = subprocess.run([sys.executable, "-c", _KILLED_JOIN_CHILD.format(repo=str(REPO), tmp=str(tmp_path))],
                          capture_output=True, text=True, timeout=60, cwd=REPO,
                          env={**os.environ, "STARCOACH_CACHE": os.environ["STARCOACH_CACHE"]})
    assert done.returncode == -9, done
    tmps = [p for p in folder.iterdir() if p.name.startswith(".model.bin.")]
    assert tmps and tmps[0].stat().st_size == 6_000_000
    age(tmps[0], 30)
    result = runner.invoke(app, ["sessions"])
    assert result.exit_code == 0, result.output
    assert not [p for p in folder.iterdir() if p.name.startswith(".model.bin.")]


def test_a_model_join_in_progress_is_not_cleaned(tmp_path: Path) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    tmp = folder / ".model.bin.live.tmp"
    tmp.write_bytes(b"x")
    age(tmp, 30)
    fd = os.open(tmp, os.O_RDWR)
    leftovers.hold_fd(fd)
    try:
        assert leftovers.clean_cache(folder) == [] and tmp.exists()
    finally:
        os.close(fd)
    assert leftovers.clean_cache(folder) == [tmp]


# --------------------------------------------------------------------------- 9: locks and delete


def test_a_held_session_is_not_rescored_into_or_deleted() -> None:
    store = SessionStore()
    session = typed_session(store)
    session.hold()  # as a practice does until its final passes are in
    try:
        one_line_error(runner.invoke(app, ["replay", session.id, "--rescore", "--keep"]), "in use by another starcoach")
        one_line_error(runner.invoke(app, ["sessions", "delete", session.id]), "in use by another starcoach")
        result = runner.invoke(app, ["replay", session.id, "--rescore"])  # reading is fine
        assert result.exit_code == 0, result.output
    finally:
        session.release()
    assert runner.invoke(app, ["replay", session.id, "--rescore", "--keep"]).exit_code == 0
    result = runner.invoke(app, ["sessions", "delete", session.id])
    assert result.exit_code == 0, result.output
    assert list(store.root.iterdir()) == []


def test_rescore_save_keeps_what_was_written_since_it_was_read() -> None:
    from starcoach import replay as replaying
    from starcoach import replay_rescore as rescoring

    store = SessionStore()
    session = typed_session(store)
    stored = replaying.load_answer(session.id, 0)
    rescored = rescoring.rescore(stored, load_bank())
    other = store.load(session.id)  # e.g. a practice's final pass, meanwhile
    other.update_answer(0, final_pass={"changed_words": 0, "seconds": 1.0})
    rescoring.save_rescore(rescored)
    on_disk = store.load(session.id)
    assert on_disk.answers[0]["final_pass"] == {"changed_words": 0, "seconds": 1.0}
    assert on_disk.answers[0]["result"] == rescored.result.to_dict()


def test_delete_is_one_step(monkeypatch: pytest.MonkeyPatch) -> None:
    """A delete that fails half-way leaves a hidden folder (cleaned later), not half a session."""
    import shutil

    store = SessionStore()
    session = typed_session(store)

    def fails(path, ignore_errors=False, **k):
        if not ignore_errors:
            raise OSError(5, "Input/output error")

    monkeypatch.setattr(shutil, "rmtree", fails)
    result = runner.invoke(app, ["sessions", "delete", session.id])
    assert result.exit_code == 0 and "deleted session" in result.output, result.output
    monkeypatch.undo()
    assert store.list() == []
    (hidden,) = store.root.iterdir()
    assert hidden.name.startswith(".deleting-")
    age(hidden)
    assert leftovers.clean_sessions(store.root) == [hidden] and list(store.root.iterdir()) == []


# --------------------------------------------------------------------------- 8: scoring an interrupted session


def killed_practice_session(question: str = "disagree-and-commit", seconds: float = 40.0):
    """What kill -9 mid-answer leaves: a practice session still 'recording', its main answer's WAV on
    disk and no result."""
    import soundfile as sf

    from tests.fakes import voiced

    bank = load_bank()
    q = bank.question(question)
    session = SessionStore().create(question_id=q.id, question_text=q.question, level=q.default_level, source="practice")
    session.add_answer({"kind": "main", "result": None})
    sf.write(session.audio_path(0), voiced(seconds), 16000, subtype="PCM_16")
    return session


@pytest.fixture
def fake_whisper(monkeypatch: pytest.MonkeyPatch):
    """The real transcriber's place taken by the script one (the real model: test_hardening_e2e.py)."""
    from starcoach.devices import transcriber
    from tests.builders.sessions import SPOKEN_ANSWER as SPOKEN
    from tests.fakes import ScriptTranscriber

    made: list[str | None] = []

    class Fake(ScriptTranscriber):
        def __init__(self, model=None, **_kw) -> None:
            super().__init__(SPOKEN)
            made.append(model)

        def transcribe(self, audio, *, on_progress=None):
            from starcoach.records import Word

            # Whisper's times are Python floats; the script's are NumPy's (np.bool_ would follow).
            return [Word(w.text, float(w.start), float(w.end)) for w in super().transcribe(audio)]

    monkeypatch.setattr(transcriber, "WhisperTranscriber", Fake)
    return made


def test_an_interrupted_unscored_session_is_scored_from_its_recording(fake_whisper) -> None:
    session = killed_practice_session()
    listed = runner.invoke(app, ["sessions"])
    assert listed.exit_code == 0, listed.output
    assert f"starcoach replay {session.id} --rescore --keep" in " ".join(listed.output.split())
    one_line_error(runner.invoke(app, ["replay", session.id]), "was never scored",
                   f"starcoach replay {session.id} --rescore --keep")

    result = runner.invoke(app, ["replay", session.id, "--rescore"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "scored now from its recording" in text and "not saved" in text and "STAR sections" in text
    assert SessionStore().load(session.id).answers[0]["result"] is None  # not saved without --save

    result = runner.invoke(app, ["replay", session.id, "--rescore", "--keep", "-m", "tiny.en"])
    assert result.exit_code == 0, result.output
    assert fake_whisper == [None, "tiny.en"]
    stored = SessionStore().load(session.id)
    scored = stored.answers[0]["result"]
    assert scored["words"] and scored["findings"] and scored["duration_s"] == pytest.approx(40.0)
    assert stored.status == "interrupted"  # what happened to the session stays true
    listed = runner.invoke(app, ["sessions"])
    assert "--rescore --keep" not in listed.output
    assert runner.invoke(app, ["replay", session.id]).exit_code == 0
    # Now scored, --rescore is the ordinary one: today's bank on the stored words.
    result = runner.invoke(app, ["replay", session.id, "--rescore"])
    assert result.exit_code == 0 and "scored now from its recording" not in result.output


def test_an_unscored_follow_up_is_scored_against_its_own_target(fake_whisper) -> None:
    import soundfile as sf

    from tests.fakes import voiced

    session = killed_practice_session()
    session.set_result(0, None)
    q = load_bank().question("disagree-and-commit")
    fu = q.follow_ups[0]
    session.add_answer({"kind": "follow_up", "follow_up": fu.id, "text": fu.text, "result": None})
    sf.write(session.audio_path(1), voiced(15), 16000, subtype="PCM_16")
    result = runner.invoke(app, ["replay", session.id, "--answer", "1", "--rescore", "--keep"])
    assert result.exit_code == 0, result.output
    scored = SessionStore().load(session.id).answers[1]["result"]
    assert scored["findings"] and "sections" not in scored


def test_an_unscored_answer_without_its_recording_is_one_line(fake_whisper) -> None:
    session = killed_practice_session()
    session.audio_path(0).unlink()
    one_line_error(runner.invoke(app, ["replay", session.id, "--rescore"]), "was never scored")
    outside = session.path.parent.parent / "elsewhere.wav"
    outside.write_bytes(b"RIFF")
    session.audio_path(0).symlink_to(outside)  # a link is never followed out of the folder
    one_line_error(runner.invoke(app, ["replay", session.id, "--rescore"]), "was never scored")
    assert fake_whisper == []


@pytest.mark.parametrize("text", ["yes", "...!?", "  --  ", "I did it.", "well, um, uh"])
def test_a_one_word_or_punctuation_only_text_is_not_scored(tmp_path: Path, text: str) -> None:
    answer = tmp_path / "answer.txt"
    answer.write_text(text, encoding="utf-8")
    one_line_error(runner.invoke(app, ["score", str(answer), "-q", "disagree-and-commit"]), str(answer), "to score")


def test_an_empty_model_name_is_refused_not_taken_for_base(tmp_path: Path) -> None:
    import numpy as np
    import soundfile as sf

    wav = tmp_path / "a.wav"
    sf.write(wav, np.zeros(16000, dtype=np.float32), 16000)
    for flag in ("-m", "--model"):
        one_line_error(runner.invoke(app, ["score", str(wav), "-q", "disagree-and-commit", flag, ""]), "--model is empty")
        one_line_error(runner.invoke(app, ["score", str(wav), "-q", "disagree-and-commit", flag, "  "]), "--model is empty")


def test_a_two_hour_file_is_refused_before_it_is_decoded(tmp_path: Path) -> None:
    """A two-hour file used to be decoded whole (1.8 GB at its peak); its header says how long it is."""
    import numpy as np
    import soundfile as sf

    wav = tmp_path / "long.wav"
    with sf.SoundFile(wav, "w", samplerate=8000, channels=1, subtype="PCM_U8") as f:
        minute = np.zeros(8000 * 60, dtype=np.float32)
        for _ in range(120):
            f.write(minute)
    began = time.monotonic()
    one_line_error(runner.invoke(app, ["score", str(wav), "-q", "disagree-and-commit"]), "2:00:00 long", "up to 30:00")
    assert time.monotonic() - began < 5


def test_practice_max_minutes_has_the_same_bound() -> None:
    result = runner.invoke(app, ["practice", "--max-minutes", "120", "--no-speak"])
    assert result.exit_code == 2 and "--max-minutes" in result.output
