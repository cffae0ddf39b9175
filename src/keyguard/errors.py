"""Error types shared by every layer. Errors carry their source (file, line, reason)."""

from __future__ import annotations

from dataclasses import dataclass


class KeyguardError(Exception):
    """Base class of errors keyguard reports to a person (CLI exit 1, HTTP 4xx)."""


class ConfigError(KeyguardError):
    """Settings or a home folder that cannot be used."""


class NotFound(KeyguardError):
    """A record that does not exist (or is not visible to the caller)."""


class PermissionDenied(KeyguardError):
    """The actor may not do this."""


class RuleViolation(KeyguardError):
    """A business rule refused the change (e.g. self-approval, two-person rule)."""


class JobLocked(KeyguardError):
    """Another ingest or detection run holds this home's job lock."""


@dataclass(frozen=True)
class SourceProblem:
    """One bad input row or document element: where it is and what is wrong."""

    file: str
    line: int | None
    reason: str
    column: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.reason}"


class InputError(KeyguardError):
    """Input that cannot be used at all (missing file, wrong folder, invalid YAML)."""

    def __init__(self, file: str, reason: str, line: int | None = None, column: int | None = None):
        self.problem = SourceProblem(file=file, line=line, reason=reason, column=column)
        super().__init__(str(self.problem))
