"""A private PulseAudio daemon with a virtual microphone and speaker, for tests and CI.

    starcoach_out   null sink, the default sink: takes what the speaker plays (TTS)
    starcoach_mic   null sink; its monitor is the default source: the virtual microphone.
                    `rig.play(wav)` plays a file into it, and whatever records from the default
                    source (PortAudio's ALSA device "pulse" or "default") hears it.

Facts this relies on (see bench/PULSE.md): as root, pulseaudio needs its own HOME and
XDG_RUNTIME_DIR; a monitor of an idle null sink drops the first ~1.5-1.8 s of a recording unless
a low-latency stream keeps the sink busy, so a `pacat --latency-msec=20 ... /dev/zero` runs into
each sink while the rig is up; PortAudio reaches PulseAudio through ALSA's pulse plugin
(libasound2-plugins), which lists "pulse" and makes "default" route to PulseAudio when a server
answers at PULSE_SERVER. No ~/.asoundrc is needed.

Use:
    with running_rig() as rig: ...            # context manager; sets PULSE_SERVER in os.environ
    virtual_audio                             # the pytest fixture (session scope)
    python tests/pulse.py start|env|stop      # shell: eval "$(python tests/pulse.py start)"
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SINK_OUT = "starcoach_out"
SINK_MIC = "starcoach_mic"
INPUT_DEVICE = "pulse"  # the PortAudio (ALSA) device that records from the default source
STATE_DIR = Path(os.environ.get("STARCOACH_PULSE_DIR", "/tmp/starcoach-pulse"))

_CONFIG = """\
load-module module-native-protocol-unix socket={socket} auth-anonymous=1
load-module module-null-sink sink_name={out} rate=48000 sink_properties=device.description={out}
load-module module-null-sink sink_name={mic} rate=48000 sink_properties=device.description={mic}
load-module module-always-sink
set-default-sink {out}
set-default-source {mic}.monitor
"""


class RigError(RuntimeError):
    """The virtual audio rig could not be started."""


@dataclass
class VirtualAudio:
    """A running rig: where it lives, how to reach it, and the processes it started."""

    base: Path
    pids: list[int] = field(default_factory=list)
    input_device: str = INPUT_DEVICE
    owns_base: bool = True

    @property
    def socket(self) -> Path:
        return self.base / "run" / "native"

    @property
    def env(self) -> dict[str, str]:
        """The variables a client process needs to reach this daemon (and only this one)."""
        return {
            "PULSE_SERVER": f"unix:{self.socket}",
            "PULSE_COOKIE": str(self.base / "home" / ".config" / "pulse" / "cookie"),
        }

    def child_env(self) -> dict[str, str]:
        return {**os.environ, **self.env}

    def pactl(self, *args: str) -> str:
        done = subprocess.run(
            ["pactl", *args], env=self.child_env(), capture_output=True, text=True, timeout=10
        )
        if done.returncode != 0:
            raise RigError(f"pactl {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def play(self, wav_path: str | os.PathLike, *, sink: str = SINK_MIC, wait: bool = True):
        """Play a sound file into the virtual microphone (or another sink).

        Waits until it has played unless `wait=False`, which returns the running Popen.
        """
        proc = subprocess.Popen(
            ["paplay", "-d", sink, str(wav_path)], env=self.child_env(), stderr=subprocess.PIPE
        )
        if not wait:
            return proc
        _, err = proc.communicate(timeout=120)
        if proc.returncode != 0:
            raise RigError(f"paplay {wav_path}: {err.decode(errors='replace').strip()}")
        return None

    def record_output(self, wav_path: str | os.PathLike, *, rate: int = 16000) -> subprocess.Popen:
        """Start recording what is played to the default sink into `wav_path`; stop it with
        `.terminate()` (parec closes the WAV properly on SIGTERM)."""
        return subprocess.Popen(
            [
                "parec", "--latency-msec=20", "-d", f"{SINK_OUT}.monitor", f"--rate={rate}",
                "--channels=1", "--format=s16le", "--file-format=wav", str(wav_path),
            ],
            env=self.child_env(),
        )


def _die_with_parent() -> None:
    """preexec_fn: get SIGTERM when the process that started us dies (Linux), so a killed
    test run leaves no daemon behind."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _spawn(args: list[str], env: dict[str, str], log: Path, detach: bool) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(
            args,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C in the terminal goes to the tests, not to these
            preexec_fn=None if detach else _die_with_parent,
        )


def _missing_tools() -> list[str]:
    return [t for t in ("pulseaudio", "pactl", "pacat", "paplay", "parec") if not shutil.which(t)]


def start(
    base: Path | None = None, *, detach: bool = False, timeout_s: float = 15.0
) -> VirtualAudio:
    """Start the daemon and the keep-alive streams; return when `pactl info` answers.

    `detach=True` leaves them running after this process ends (for the shell commands).
    """
    missing = _missing_tools()
    if missing:
        raise RigError(f"missing {', '.join(missing)}: apt-get install pulseaudio pulseaudio-utils")
    owns = base is None
    base = Path(tempfile.mkdtemp(prefix="starcoach-pulse-")) if base is None else Path(base)
    for sub in ("home", "run"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    (base / "run").chmod(0o700)
    rig = VirtualAudio(base=base, owns_base=owns)
    config = base / "starcoach.pa"
    config.write_text(_CONFIG.format(socket=rig.socket, out=SINK_OUT, mic=SINK_MIC))
    daemon_env = {
        **os.environ,
        "HOME": str(base / "home"),
        "XDG_RUNTIME_DIR": str(base / "run"),
        "XDG_CONFIG_HOME": str(base / "home" / ".config"),
    }
    daemon_env.pop("PULSE_SERVER", None)
    log = base / "pulseaudio.log"
    daemon = _spawn(
        [
            "pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "--system=false",
            "--realtime=no", "--high-priority=no", "--use-pid-file=no", "-n", "-F", str(config),
            f"--log-target=file:{log}",
        ],
        daemon_env,
        base / "pulseaudio.out",
        detach,
    )
    rig.pids.append(daemon.pid)
    try:
        _wait_ready(rig, daemon, timeout_s)
        for sink in (SINK_MIC, SINK_OUT):
            keep = _spawn(
                ["pacat", "--latency-msec=20", "-d", sink, "/dev/zero"],
                rig.child_env(),
                base / "keepalive.out",
                detach,
            )
            rig.pids.append(keep.pid)
        _wait_keepalives(rig, timeout_s)
        _wait_audio_flows(rig, timeout_s)
    except BaseException:
        stop(rig)
        raise
    return rig


def _log_tail(rig: VirtualAudio) -> str:
    lines: list[str] = []
    for name in ("pulseaudio.out", "pulseaudio.log", "keepalive.out"):
        with contextlib.suppress(OSError):
            lines += (rig.base / name).read_text(errors="replace").splitlines()[-8:]
    return "\n".join(lines)


def _wait_ready(rig: VirtualAudio, daemon: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            raise RigError(f"pulseaudio exited with {daemon.returncode}:\n{_log_tail(rig)}")
        with contextlib.suppress(RigError, subprocess.TimeoutExpired):
            if f"Default Source: {SINK_MIC}.monitor" in rig.pactl("info"):
                return
        time.sleep(0.1)
    raise RigError(f"pulseaudio did not answer within {timeout_s:.0f} s:\n{_log_tail(rig)}")


def _wait_keepalives(rig: VirtualAudio, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        inputs = rig.pactl("list", "short", "sink-inputs").strip().splitlines()
        if len(inputs) >= 2:
            return
        time.sleep(0.05)
    raise RigError(f"the keep-alive streams did not start:\n{_log_tail(rig)}")


def _wait_audio_flows(rig: VirtualAudio, timeout_s: float) -> None:
    """Return once both monitors deliver audio. For the first ~1.8 s after the keep-alives
    start, a new recording stream gets nothing at all (measured: bench/PULSE.md); a take
    started then would silently miss its first second or two."""
    probes = [
        subprocess.Popen(
            ["parec", "--latency-msec=20", "-d", f"{sink}.monitor", "--raw", "--rate=16000",
             "--channels=1"],
            env=rig.child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        for sink in (SINK_MIC, SINK_OUT)
    ]
    try:
        deadline = time.monotonic() + timeout_s
        waiting = {p.stdout.fileno(): p for p in probes}
        while waiting and time.monotonic() < deadline:
            ready, _, _ = select.select(list(waiting), [], [], 0.1)
            for fd in ready:
                if not os.read(fd, 4096):
                    raise RigError(f"parec could not record from the rig:\n{_log_tail(rig)}")
                del waiting[fd]
        if waiting:
            raise RigError(
                f"no audio from the virtual devices after {timeout_s:.0f} s:\n{_log_tail(rig)}"
            )
    finally:
        for p in probes:
            p.kill()
            p.wait()
            p.stdout.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(ChildProcessError):  # reap it if it is our child
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True


def stop(rig: VirtualAudio) -> None:
    """Stop everything `start` started (keep-alives first, then the daemon) and tidy up."""
    for pid in reversed(rig.pids):  # the keep-alives were started last
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 2
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
    rig.pids.clear()
    if rig.owns_base:
        shutil.rmtree(rig.base, ignore_errors=True)


def rescan_portaudio() -> None:
    """PortAudio lists devices once, when sounddevice is imported; list them again (after the
    rig starts or stops) if it was imported already."""
    sd = sys.modules.get("sounddevice")
    if sd is not None:
        sd._terminate()
        sd._initialize()


@contextlib.contextmanager
def running_rig(**kwargs) -> Iterator[VirtualAudio]:
    """Start a rig and point this process at it (os.environ) until the block ends."""
    rig = start(**kwargs)
    saved = {k: os.environ.get(k) for k in rig.env}
    os.environ.update(rig.env)
    rescan_portaudio()
    try:
        yield rig
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        stop(rig)
        rescan_portaudio()


def _check_portaudio_sees(rig: VirtualAudio) -> None:
    from starcoach.devices.portaudio import list_devices

    names = [d["name"] for d in list_devices()]
    if rig.input_device not in names:
        raise RigError(
            f"PortAudio does not list {rig.input_device!r} (it lists {names}); "
            "is libasound2-plugins (ALSA's pulse plugin) installed?"
        )


_session: list = []  # [rig, context, users]: one rig per process, however often imported


@pytest.fixture(scope="session")
def virtual_audio() -> Iterator[VirtualAudio]:
    """The rig for tests marked `audio`. Skips only off CI on a machine without pulseaudio;
    on CI (CI set) a rig that will not start fails the test.

    Importing this fixture into several modules (conftest.py and a test file) is fine: they
    share one rig, stopped when the last of them is torn down."""
    if not os.environ.get("CI") and not shutil.which("pulseaudio"):
        pytest.skip("pulseaudio is not installed (apt-get install pulseaudio pulseaudio-utils)")
    if not _session:
        context = running_rig()
        rig = context.__enter__()
        _session[:] = [rig, context, 0]
        try:
            _check_portaudio_sees(rig)
        except BaseException:
            _session.clear()
            context.__exit__(None, None, None)
            raise
    _session[2] += 1
    try:
        yield _session[0]
    finally:
        _session[2] -= 1
        if _session[2] == 0:
            context = _session[1]
            _session.clear()
            context.__exit__(None, None, None)


# --------------------------------------------------------------------------- shell use


def _print_exports(rig: VirtualAudio) -> None:
    for key, value in rig.env.items():
        print(f"export {key}={shlex.quote(value)}")


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    pid_file = STATE_DIR / "pids"
    if command == "start":
        if pid_file.exists():
            print(f"a rig is already running in {STATE_DIR} (stop it first)", file=sys.stderr)
            return 1
        rig = start(STATE_DIR, detach=True)
        pid_file.write_text(" ".join(map(str, rig.pids)))
        _print_exports(rig)
        return 0
    if command == "env":
        _print_exports(VirtualAudio(base=STATE_DIR))
        return 0
    if command == "stop":
        if pid_file.exists():
            pids = [int(p) for p in pid_file.read_text().split()]
            stop(VirtualAudio(base=STATE_DIR, pids=pids, owns_base=False))
            shutil.rmtree(STATE_DIR, ignore_errors=True)
        return 0
    print("usage: python tests/pulse.py start|env|stop", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
