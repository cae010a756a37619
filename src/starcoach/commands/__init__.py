"""The work of each `starcoach` command, one module a command; cli.py only declares them.

Each module's `run(...)` takes the command's options as typer parsed them (keyword-only) and imports
what it needs inside, so `starcoach --help` loads none of it.
"""
