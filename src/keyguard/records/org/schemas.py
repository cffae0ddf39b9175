"""What the org domain's services return: import reports, facts as of a day, departures,
the org tree, pages of people and a person's history."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from keyguard.errors import SourceProblem


class FileSummary(BaseModel):
    """One input file of an import: rows read (accepted + rejected) and what changed."""

    name: str
    sha256: str = ""
    month: str | None = None  # LDAP: the file's month (YYYY-MM)
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    people_created: int = 0
    versions_added: int = 0
    joiners: int = 0
    movers: int = 0
    leavers: int = 0
    skipped: bool = False  # the whole file could not be used


class ImportReport(BaseModel):
    """The outcome of one import; ``problems`` name file, line and reason."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    kind: str
    source: str
    sha256: str = ""
    run_id: int | None = None
    files: list[FileSummary] = Field(default_factory=list)
    problems: list[SourceProblem] = Field(default_factory=list)

    def _total(self, name: str) -> int:
        return sum(int(getattr(f, name)) for f in self.files)

    @property
    def rows(self) -> int:
        return self._total("rows")

    @property
    def accepted(self) -> int:
        return self._total("accepted")

    @property
    def rejected(self) -> int:
        return self._total("rejected")

    @property
    def people_created(self) -> int:
        return self._total("people_created")

    @property
    def versions_added(self) -> int:
        return self._total("versions_added")

    @property
    def joiners(self) -> int:
        return self._total("joiners")

    @property
    def movers(self) -> int:
        return self._total("movers")

    @property
    def leavers(self) -> int:
        return self._total("leavers")

    def counts(self) -> dict[str, int]:
        """Totals, as stored on the import run."""
        names = (
            "rows",
            "accepted",
            "rejected",
            "people_created",
            "versions_added",
            "joiners",
            "movers",
            "leavers",
        )
        return {"files": len(self.files), **{n: self._total(n) for n in names}}


class PersonFacts(BaseModel):
    """A person's facts valid on a day as known on a day (one person version)."""

    person_id: int
    staff_id: str
    pseudonym: str
    version_id: int
    full_name: str
    email: str | None
    job_title: str | None
    projects: list[str]
    department_id: int | None
    team_id: int | None
    position_id: int | None
    manager_id: int | None
    status: str
    start_date: dt.date | None
    notice_date: dt.date | None
    end_date: dt.date | None
    valid_from: dt.date
    known_from: dt.date


class Departure(BaseModel):
    """A person whose notice or departure was known by a day."""

    person_id: int
    staff_id: str
    pseudonym: str
    status: str
    notice_date: dt.date | None
    end_date: dt.date | None
    #: The first day on which keyguard knew of this departure.
    known_from: dt.date
    source: str


class HeadInfo(BaseModel):
    person_id: int
    full_name: str
    pseudonym: str
    position: str
    level: str


class OrgTreeNode(BaseModel):
    """A node of the org tree with its people counts and its heads."""

    id: int
    kind: str
    name: str
    path: str
    parent_id: int | None
    retired_from: dt.date | None
    #: Active people placed directly at this node / in its whole subtree.
    people: int = 0
    people_total: int = 0
    heads: list[HeadInfo] = Field(default_factory=list)
    children: list[OrgTreeNode] = Field(default_factory=list)


class PersonRow(BaseModel):
    """One line of a people list."""

    id: int
    staff_id: str
    pseudonym: str
    full_name: str
    email: str | None
    job_title: str | None
    department: str | None
    team: str | None
    status: str


class PeoplePage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[PersonRow]


class HistoryEntry(BaseModel):
    """One version of a person, with names instead of ids."""

    version_id: int
    valid_from: dt.date
    valid_to: dt.date | None
    known_from: dt.date
    #: A later record for the same start replaced this one.
    superseded: bool
    full_name: str
    email: str | None
    job_title: str | None
    projects: list[str]
    department: str | None
    team: str | None
    position: str | None
    manager: str | None
    manager_id: int | None
    status: str
    start_date: dt.date | None
    notice_date: dt.date | None
    end_date: dt.date | None
    source: str
