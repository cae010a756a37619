"""The project's one error type: the CLI turns it into a one-line message and exit code 1."""


class StarcoachError(Exception):
    """A problem the user can act on: a bad file, a missing device, an unknown id.

    The message is shown as it is, on one line, without a traceback.
    """
