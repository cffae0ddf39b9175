"""The page every logged-in employee can read: what keyguard records about people, why and
for how long, and which detection policies are enabled.

Recorded fields come from the ``keyguard_recorded_fields`` hook of every domain (each
returns ``{"source", "field", "purpose", "kept"}`` with English texts marked for the
catalogues; the page translates them) plus what logging in keeps
(``identity.sessions.RECORDED_FIELDS``). Enabled policies come from the
``keyguard_detection_policies`` hook once a domain declares it (items with ``title``,
``description`` and optionally ``uses``, a list of fields).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from keyguard.identity.sessions import RECORDED_FIELDS
from keyguard.plugins import get_plugin_manager
from keyguard.web.deps import login_required, render
from keyguard.web.i18n import lazy_gettext

router = APIRouter(include_in_schema=False)

NAV = [
    {
        "label": lazy_gettext("What keyguard records"),
        "path": "/what-keyguard-records",
        "permission": None,
        "order": 85,
    }
]

POLICY_HOOK = "keyguard_detection_policies"
FIELD_KEYS = ("source", "field", "purpose", "kept")


def recorded_fields() -> list[dict[str, str]]:
    """Every recorded field: what logging in keeps, then every domain's hook."""
    items: list[dict[str, Any]] = list(RECORDED_FIELDS)
    for batch in get_plugin_manager().hook.keyguard_recorded_fields():
        items.extend(batch or [])
    return [{k: str(item.get(k, "")) for k in FIELD_KEYS} for item in items]


def enabled_policies() -> list[dict[str, Any]] | None:
    """Enabled detection policies, or ``None`` while no domain declares the hook."""
    hook = getattr(get_plugin_manager().hook, POLICY_HOOK, None)
    if hook is None:
        return None
    out = []
    for batch in hook():
        for item in batch or []:
            out.append(
                {
                    "title": str(item.get("title", "")),
                    "description": str(item.get("description", "")),
                    "uses": [str(u) for u in item.get("uses", []) or []],
                }
            )
    return out


def grouped(items: list[dict[str, str]]) -> list[tuple[str, list[dict[str, str]]]]:
    groups: dict[str, list[dict[str, str]]] = {}
    for item in items:
        groups.setdefault(item["source"], []).append(item)
    return list(groups.items())


@router.get("/what-keyguard-records", dependencies=[login_required()])
def what_keyguard_records(request: Request) -> HTMLResponse:
    return render(
        request,
        "records/index.html",
        {"groups": grouped(recorded_fields()), "policies": enabled_policies()},
    )
