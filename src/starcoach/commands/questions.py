"""`starcoach questions` and `questions show ID`: the question bank as a table, or one question in full."""

from __future__ import annotations

from starcoach.commands.common import out


def run_list() -> None:
    from starcoach.bank import load_bank
    from starcoach.bank_view import bank_table

    out().print(bank_table(load_bank()))


def run_show(*, question_id: str, answers: bool) -> None:
    from starcoach.bank import load_bank
    from starcoach.bank_view import question_view

    out().print(question_view(load_bank().question(question_id), answers=answers))
