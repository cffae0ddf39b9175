"""Demo step 90: the founding case, worked through the services as the demo accounts.

The analyst takes the highest-scoring alert keyguard itself raised in the demo unit for
low-and-slow collection (or collection then exfiltration) — never the generator's answers —
opens a case, asks to re-identify the person with a written purpose; the second analyst (a
different person) approves; the analyst sees the identity (recorded), adds rectification
actions for the open loophole findings that let it happen, and closes the case as
"referred". Every step runs as the account concerned, so the audit chain names them. With no
such alert the step says so and makes nothing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.analytics.models import Alert
from keyguard.audit.context import Actor, actor_scope
from keyguard.cases import rectification, reident, service
from keyguard.cases.models import Case
from keyguard.cases.subjects import related_findings
from keyguard.controls.owners import security_office_people
from keyguard.db.session import session_scope
from keyguard.demo.steps import DemoContext, DemoStep
from keyguard.identity.models import Account
from keyguard.policies.loader import load_policies
from keyguard.records.org.models import Person, Unit

#: The detectors whose alerts can found the case (file names in ``library/detectors``).
COLLECTION_POLICIES = ("low-and-slow-collection", "collection-then-exfiltration")
#: At most this many loophole findings become rectification actions.
MAX_ACTIONS = 8
PURPOSE = (
    "Founding case: keyguard detected low-and-slow collection of classified items beyond "
    "need-to-know; the investigator must interview the person and their head of department."
)


def _actor(account: Account) -> Actor:
    return Actor(name=f"account:{account.id}", account_id=account.id, person_id=account.person_id)


def collection_policy_ids(home: Path) -> list[str]:
    """Ids of the collection detectors, low-and-slow first."""
    by_stem = {Path(p.source).stem: p.id for p in load_policies(home)}
    return [by_stem[s] for s in COLLECTION_POLICIES if s in by_stem]


def top_alert(
    session: Session, unit: Unit, home: Path, not_about: frozenset[int] = frozenset()
) -> Alert | None:
    """The highest-scoring active alert keyguard raised in the unit for low-and-slow
    collection — only when there is none, for collection then movement out — never one about
    the people in ``not_about`` (nobody investigates themselves)."""
    ids = collection_policy_ids(home)
    if not ids:
        return None
    alerts = [
        a
        for a in session.scalars(
            select(Alert).where(
                Alert.unit_id == unit.id, Alert.active.is_(True), Alert.policy_id.in_(ids)
            )
        )
        if a.person_id is None or a.person_id not in not_about
    ]
    if not alerts:
        return None
    return max(alerts, key=lambda a: (-ids.index(a.policy_id), a.score, a.fired_day, a.id))


def _account(session: Session, ctx: DemoContext, key: str) -> Account:
    email = ctx.accounts[key]["email"]
    account = session.scalar(select(Account).where(Account.email == email))
    if account is None:
        raise RuntimeError(f"no demo account {email}: the accounts step (40) must run first")
    return account


def step_case(ctx: DemoContext) -> None:
    """Work the founding case through, or say why there is none."""
    with session_scope() as session:
        unit = session.scalar(select(Unit).where(Unit.code == ctx.unit_code))
        if unit is None:
            raise RuntimeError(f"no unit {ctx.unit_code!r}: the people step (30) must run first")
        analyst, second = _account(session, ctx, "analyst"), _account(session, ctx, "analyst2")
        investigators = frozenset(a.person_id for a in (analyst, second) if a.person_id is not None)
        alert = top_alert(session, unit, ctx.home, not_about=investigators)
        if alert is None:
            ctx.facts["case"] = None
            ctx.console.print(
                "      no low-and-slow collection alert was detected in the demo "
                "unit: no founding case was made"
            )
            return
        with actor_scope(_actor(analyst)):
            case = service.open_case(
                session,
                unit=unit,
                kind="alert",
                ref=alert.id,
                assignee=analyst,
                title=f"Founding case: {alert.policy_title}",
                home=ctx.home,
            )
            service.add_note(
                session,
                case=case,
                text=(
                    f"Opened from alert {alert.id} (score {alert.score:.1f}, fired "
                    f"{alert.fired_day}); its evidence events were copied into the case."
                ),
            )
            request = reident.request(session, case=case, account=analyst, purpose=PURPOSE)
        with actor_scope(_actor(second)):
            reident.approve(
                session,
                req=request,
                account=second,
                note="Proportionate: the interview needs the person's name.",
            )
        with actor_scope(_actor(analyst)):
            shown = reident.reveal(session, case=case, account=analyst, what="demo case")
            actions = _actions(session, unit, case)
            service.close_case(
                session,
                case=case,
                outcome="referred",
                note=(
                    "Collection beyond need-to-know confirmed by the copied events; referred to "
                    "the competent authority. The loopholes that allowed it have rectification "
                    "actions."
                ),
            )
        ctx.facts["case"] = {
            "number": case.number,
            "alert": alert.id,
            "subject": case.subject_pseudonym,
            "actions": actions,
            "reident_request": request.id,
        }
    ctx.console.print(
        f"      case {case.number} on alert {alert.id} ({alert.policy_title}, score "
        f"{alert.score:.1f}) about {case.subject_pseudonym}: re-identified by "
        f"{ctx.accounts['analyst']['email']} with approval of "
        f"{ctx.accounts['analyst2']['email']}{' (identity shown and recorded)' if shown else ''}"
        f"; {actions} rectification action(s); outcome: referred"
    )


def _actions(session: Session, unit: Unit, case: Case) -> int:
    """One rectification action per open loophole finding about the person (or naming the
    user in its evidence), owned by the finding's owner (the security office when that is the
    person concerned), due by the finding's due date, at least 30 days out."""
    findings = related_findings(session, unit, case.person_id, case.user_key)[:MAX_ACTIONS]
    today = service.local_day(unit)
    office = security_office_people(session, unit, today)
    for f in findings:
        owner = session.get(Person, f.owner_person_id) if f.owner_person_id else None
        if owner is None or owner.status == "left" or owner.id == case.person_id:
            # never the person the case is about: the security office answers instead
            owner = session.get(Person, office[0]) if office else None
        rectification.create_action(
            session,
            unit=unit,
            case=case,
            finding_id=f.id,
            owner=owner,
            title=f"Close the loophole: {f.check_title}",
            description=f"{f.subject_masked} (finding {f.id})",
            due_on=max(f.due_on, today + dt.timedelta(days=30)),
        )
    return len(findings)


STEPS = [DemoStep(order=90, name="the founding case worked through", run=step_case)]
