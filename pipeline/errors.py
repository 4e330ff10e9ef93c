"""The package's exceptions.

Every error a user can meet derives from `PipelineError`, and its message is
one line that says what went wrong and what to do about it; the CLI prints
that line and exits non-zero without a traceback.
"""
from __future__ import annotations


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
