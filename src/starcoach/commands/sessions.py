"""`starcoach sessions` (alias history) and `sessions delete ID`: the stored sessions, newest first."""

from __future__ import annotations

import json
import sys

from starcoach.commands.common import out


def run_list(*, question: str | None, as_json: bool) -> None:
    from starcoach import history
    from starcoach.store import SessionStore

    store = SessionStore()
    items = history.list_sessions(store, question=question)
    if as_json:
        sys.stdout.write(json.dumps([history.session_dict(s) for s in items], indent=2, ensure_ascii=False) + "\n")
    elif not items:
        out().print(history.no_sessions_note(question, store.root), highlight=False, soft_wrap=True)
    else:
        console = out()
        console.print(history.sessions_view(items, root=store.root, width=console.width))


def run_delete(*, session_id: str) -> None:
    from starcoach.history import delete_session

    out().print(f"deleted session {session_id} ({delete_session(session_id)})", highlight=False, soft_wrap=True)
