"""`starcoach report`'s files: a saved session as one page to replay (HTML) or as Markdown, written to disk.

`render_html` is pure: a session's data (session.json as a dict) and the audio URL of each answer in,
one string out. The page is self-contained: inline CSS, inline JS, inline SVG charts, no fonts, no
network; a Content-Security-Policy makes the browser refuse anything else. `write_report` does the
file work for both formats: it embeds each recording as a data: URI (or copies it beside the page)
and writes the page atomically.

The pieces live beside this module: report_data (a session's answers, their results read by
result.py), report_page (each answer's HTML), report_svg (the charts), report_markdown, and
report_assets/ (the page's CSS and JS). Everything from the session is escaped: transcripts and
findings are user content.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starcoach.errors import StarcoachError
from starcoach.report_data import escape, read_answers, string
from starcoach.report_markdown import render_markdown
from starcoach.report_page import answer_html

FORMATS = ("html", "markdown")
DEFAULT_NAMES = {"html": "report.html", "markdown": "report.md"}

AUDIO_TYPES = {".wav": "audio/wav", ".wave": "audio/wav", ".flac": "audio/flac", ".mp3": "audio/mpeg",
               ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg", ".m4a": "audio/mp4",
               ".mp4": "audio/mp4", ".aac": "audio/aac", ".webm": "audio/webm"}

# The page's style and script, files in the report_assets package.
CSS, JS = "report.css", "report.js"


# --------------------------------------------------------------------------- the page


@functools.cache
def page_asset(name: str) -> str:
    """The text of report.css or report.js (starcoach/report_assets), inlined in every page."""
    return resources.files("starcoach.report_assets").joinpath(name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def _csp(media: str) -> str:
    """The page's Content-Security-Policy: its own inline style and script (by hash), data: images, and
    audio from `media`; nothing else."""
    style, script = _sha256(page_asset(CSS)), _sha256(page_asset(JS))
    return (f"default-src 'none'; style-src 'sha256-{style}'; script-src 'sha256-{script}'; img-src data:; "
            f"media-src {media}; base-uri 'none'; form-action 'none'")


def render_html(data: Mapping[str, Any], audio: Mapping[int, str | None] | None = None) -> str:
    """The page for one session. `data` is session.json; `audio` maps an answer's index to the URL of its
    recording (a data: URI, or a path relative to the page); an answer without one gets no player."""
    audio = audio or {}
    answers = read_answers(data, audio)
    media = "data:" if all(not src or src.startswith("data:") for src in audio.values()) else "'self' data: blob: file:"
    question = string(data.get("question_text")) or string(data.get("question"))
    meta = [f"session {escape(string(data.get('id')))}"]
    if string(data.get("status")) in ("recording", "interrupted"):
        meta.append('<span class="pill v-short">interrupted</span>')
    toc = ""
    if len(answers) > 1:
        toc = '<nav class="toc">' + "".join(f'<a href="#{a.anchor}">{escape(a.label)}</a>' for a in answers) + "</nav>"
    body = "".join(answer_html(a, data) for a in answers) or '<p class="card">This session has no answers yet.</p>'
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{escape(_csp(media))}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(question or 'starcoach session')} \u00b7 starcoach</title>"
        f"<style>{page_asset(CSS)}</style></head><body><main>"
        f'<header class="page-head"><div class="brand"><b>starcoach</b> session report</div>'
        f'<div class="meta">{"".join(f"<span>{m}</span>" for m in meta)}</div>{toc}</header>'
        f"{body}"
        '<footer>Made by starcoach, offline. Times are seconds from the start of each recording.</footer>'
        f"</main><script>{page_asset(JS)}</script></body></html>\n"
    )


# --------------------------------------------------------------------------- files


def audio_data_uri(path: Path) -> str:
    """A recording as a data: URI (base64)."""
    mime = AUDIO_TYPES.get(path.suffix.lower(), "application/octet-stream")
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def write_text_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` by a temporary file beside it, so a reader never sees half a page."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _own_file(path: Path, folder: Path) -> bool:
    """A plain file of the session's folder: a link (to anything, anywhere) is never read into a page."""
    try:
        return not path.is_symlink() and path.resolve().parent == folder.resolve()
    except OSError:
        return False


def write_report(session, *, fmt: str = "html", output: Path | None = None, embed_audio: bool = True) -> Path:
    """Write the report of `session` (a store.Session) and return its path.

    By default it goes in the session's folder (report.html / report.md); `output` may be a file or a
    folder. HTML embeds each recording (data: URI) unless `embed_audio` is false; then, like Markdown,
    the page links to the recording by a relative path, copying it beside the page when the page is
    not in the session's folder (as `<page name>-answer-N.wav`).
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    out = Path(output) if output is not None else session.path / DEFAULT_NAMES[fmt]
    if out.is_dir():
        out = out / DEFAULT_NAMES[fmt]
    if not out.parent.is_dir():
        raise StarcoachError(f"cannot write the report to {out}: no folder {out.parent}")
    try:
        audio: dict[int, str | None] = {}
        for i in range(len(session.answers)):
            src = session.audio_file(i)
            if src is None or not src.is_file() or not _own_file(src, session.path):
                audio[i] = None
            elif fmt == "html" and embed_audio:
                audio[i] = audio_data_uri(src)
            elif out.parent.resolve() == src.parent.resolve():
                audio[i] = quote(src.name)
            else:
                beside = out.parent / f"{out.stem}-{src.name}"
                shutil.copyfile(src, beside)
                audio[i] = quote(beside.name)
        text = render_html(session.data, audio) if fmt == "html" else render_markdown(session.data, audio)
        write_text_atomic(out, text)
    except OSError as e:
        raise StarcoachError(f"cannot write the report to {out}: {e.strerror or e}") from None
    return out
