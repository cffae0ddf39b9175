"""The entry point of the education domain (see ``courses``, ``campaigns``, ``quiz``,
``status`` and ``audiences`` for the parts)."""

from __future__ import annotations

from keyguard.records.education.audiences import (
    AudienceRule,
    audience_rules,
    register_audience,
)
from keyguard.records.education.campaigns import (
    NoConcernRef,
    assign_course,
    assign_refresher,
    create_campaign,
    enrol,
    list_campaigns,
    local_day,
    register_reason_check,
    run_campaigns,
)
from keyguard.records.education.courses import (
    CourseVersionError,
    course_doc,
    get_course,
    list_courses,
    load_builtin_courses,
    load_course_folder,
    render_markdown,
)
from keyguard.records.education.quiz import (
    attempt_questions,
    attempts_used,
    certificate_for,
    certificate_pdf,
    get_attempt,
    issue_certificate,
    mark_read,
    start_attempt,
    submit_attempt,
)
from keyguard.records.education.status import (
    item_status,
    my_training,
    person_history,
    training_status,
)

__all__ = [
    "AudienceRule",
    "CourseVersionError",
    "NoConcernRef",
    "assign_course",
    "assign_refresher",
    "attempt_questions",
    "attempts_used",
    "audience_rules",
    "certificate_for",
    "certificate_pdf",
    "course_doc",
    "create_campaign",
    "enrol",
    "get_attempt",
    "get_course",
    "issue_certificate",
    "item_status",
    "list_campaigns",
    "list_courses",
    "load_builtin_courses",
    "load_course_folder",
    "local_day",
    "mark_read",
    "my_training",
    "person_history",
    "register_audience",
    "register_reason_check",
    "render_markdown",
    "run_campaigns",
    "start_attempt",
    "submit_attempt",
    "training_status",
]
