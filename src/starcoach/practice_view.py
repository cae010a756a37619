"""What the candidate sees while practising: the question, a live recording panel, the reports.

`TerminalView` draws with rich; `QuietView` (for tests and non-terminals) draws nothing live.
"""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.text import Text

from starcoach.answer_view import COLOURS
from starcoach.records import SECTION_NAMES
from starcoach.timing import clock

BAR_WIDTH = 50


def level_meter(rms: float, width: int = 24) -> Text:
    # Speech RMS sits around 0.02-0.3 of full scale: a square-root scale shows quiet talk too.
    filled = min(width, round(width * min(1.0, (max(rms, 0.0) / 0.3) ** 0.5)))
    style = "green" if rms < 0.5 else "red"
    return Text("\u25ae" * filled, style=style) + Text("\u25af" * (width - filled), style="dim")


def target_bar(elapsed_s: float, section_targets: dict[str, tuple[float, float]], total: tuple[float, float],
               width: int = BAR_WIDTH) -> Group:
    """The target split (section midpoints) on a scale to the total maximum, and elapsed time on it."""
    mids = [(name, sum(section_targets[name]) / 2) for name in SECTION_NAMES]
    span = max(total[1], sum(m for _, m in mids), elapsed_s, 1e-6)
    marks, used = Text(), 0
    for i, (name, secs) in enumerate(mids):
        cells = max(1, round(secs / span * width)) if i < 3 else max(1, round(sum(m for _, m in mids) / span * width) - used)
        marks.append((name[0].upper() + " " * (cells - 1))[:cells], style=f"black on {COLOURS[name]}")
        used += cells
    done = min(width, round(elapsed_s / span * width))
    over = elapsed_s > total[1]
    progress = Text("\u2588" * done, style="red" if over else "white") + Text("\u2591" * (width - done), style="dim")
    return Group(Text("target  ") + marks, Text("you     ") + progress)


def recording_panel(elapsed_s: float, rms: float, section_targets: dict[str, tuple[float, float]],
                    total: tuple[float, float], *, hint: str) -> Panel:
    lo, hi = total
    head = Text.assemble(("\u25cf REC ", "bold red"), (clock(elapsed_s), "bold"), f"   target {clock(lo)}\u2013{clock(hi)}")
    parts: list[RenderableType] = [head, Text("level   ") + level_meter(rms), target_bar(elapsed_s, section_targets, total)]
    if elapsed_s > hi:
        parts.append(Text(f"\u26a0 past the {clock(hi)} target: land the result now", style="bold red"))
    elif elapsed_s > lo:
        parts.append(Text("in the target window: time to land the result", style="yellow"))
    parts.append(Text(hint, style="dim"))
    return Panel(Group(*parts), expand=False)


class TerminalView:
    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console()
        self._live: Live | None = None
        self._targets: tuple[dict[str, tuple[float, float]], tuple[float, float]] | None = None
        self._hint = ""

    def say(self, text: str) -> None:
        self.console.print(text)

    def note(self, text: str) -> None:
        self.console.print(text, style="dim")

    def show(self, renderable: RenderableType) -> None:
        self.console.print(renderable)

    def start_recording(self, section_targets: dict[str, tuple[float, float]], total: tuple[float, float], hint: str) -> None:
        self._targets, self._hint = (section_targets, total), hint
        self._live = Live(recording_panel(0, 0, section_targets, total, hint=hint), console=self.console,
                          refresh_per_second=8, transient=False)
        self._live.start()

    def update(self, elapsed_s: float, rms: float) -> None:
        if self._live is not None and self._targets is not None:
            self._live.update(recording_panel(elapsed_s, rms, *self._targets, hint=self._hint))

    def stop_recording(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None


class QuietView(TerminalView):
    """Prints the question, notes and reports, with no live panel (no terminal, or tests)."""

    def start_recording(self, section_targets: dict[str, tuple[float, float]], total: tuple[float, float], hint: str) -> None:
        self.note(f"recording\u2026 {hint}")

    def update(self, elapsed_s: float, rms: float) -> None:
        pass

    def stop_recording(self) -> None:
        pass
