"""starcoach: rehearse behavioural interview answers out loud, offline."""

from starcoach.errors import StarcoachError
from starcoach.records import SECTION_NAMES, Evidence, Finding, Section, Transcript, Word

__version__ = "0.1.0"

__all__ = [
    "SECTION_NAMES",
    "Evidence",
    "Finding",
    "Section",
    "StarcoachError",
    "Transcript",
    "Word",
    "__version__",
]
