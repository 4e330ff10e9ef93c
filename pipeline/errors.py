"""The package's exceptions.

Every error a user can meet derives from `PipelineError`, and its message is
one line that says what went wrong and what to do about it; the CLI prints
that line and exits non-zero without a traceback.

Exit codes of `python -m pipeline` (README, "Guarantees"): 0 success; 1 an
unexpected internal error (a bug: the only case with a traceback); 2 a usage or
configuration error (bad option or value, missing folder or model, an output
folder the pipeline does not own); 3 the output folder is locked by another
run; 4 a system error while working (disk full, I/O error); 130 interrupted
(Ctrl-C); 143 terminated (SIGTERM).  In every failing case the previously
published run stays published.
"""
from __future__ import annotations


def first_line(err: BaseException, limit: int = 200) -> str:
    """The first line of a third-party exception's message (its type when it has none), at most `limit`
    characters: the detail a one-line error quotes."""
    return (str(err).strip().splitlines() or [type(err).__name__])[0][:limit]


class PipelineError(Exception):
    """Root of all expected, user-facing errors (one actionable line)."""

    exit_code = 2


class ConfigError(PipelineError):
    """A setting, parameter or path is invalid."""


class ModelNotFoundError(PipelineError):
    """No usable NLP model is installed where one is expected."""


class ModelDownloadError(PipelineError):
    """The official Stanza model could not be fetched."""


class StageRequirementError(PipelineError):
    """A pipeline was assembled whose stages' requirements are not met."""


class RuleError(PipelineError):
    """An extraction rule file is malformed; names the file and the rule."""


class OutputLockedError(PipelineError):
    """Another run holds the output directory."""

    exit_code = 3


class OutputError(PipelineError):
    """The output directory cannot be written or read."""


class GoldFormatError(PipelineError):
    """A gold annotation file does not follow the corpus format."""


class Interrupted(PipelineError):
    """The run was stopped by Ctrl-C (or SIGTERM: `exit_code` 143)."""

    exit_code = 130

    def __init__(self, message: str, exit_code: int = 130):
        super().__init__(message)
        self.exit_code = exit_code


EXIT_SYSTEM_ERROR = 4  # an OSError while working: disk full, I/O error
