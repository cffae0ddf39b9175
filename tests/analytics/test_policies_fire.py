"""Each built-in policy fires on its positive fixture and stays quiet on the benign slice
(every person who is not an insider: ordinary staff, USB users, administrators working on
other machines, managers' announcements, a heavy job-site browser, a quiet leaver)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from keyguard.analytics.models import Alert
from keyguard.db.session import sessionmaker_for
from keyguard.policies.loader import active_policies

from .conftest import Detected
from .factory import LOOKALIKES, SCENARIOS

#: Policy title -> the scenarios that must make it fire.
POSITIVE: dict[str, str | tuple[str, ...]] = {
    "Data theft before departure": "departure",
    "Low-and-slow collection beyond need-to-know": ("low_and_slow", "steady_reader_moving_out"),
    "Collection followed by movement out": "collect_exfil",
    "Documents beyond need-to-know collected and moved out": "collect_and_move_out",
    "Use of another person's machine": "other_machine",
    "Account used by someone else for a mass e-mail": "credential_misuse",
    "Administrator planting tools on another person's machine": "admin_planting",
    "Leak-site upload or mass cloud upload": "leak_upload",
    "Hacking tool or keylogger downloaded": "hacking_download",
    "First-time removable media with volume or new after-hours work": "first_removable",
    "Decoy file touched": "decoy",
    "Attachments to own personal e-mail address": "personal_mail",
    "Removable media far above usual": "removable_spike",
    "Mass e-mail unlike the sender": "mass_email",
}
#: Listed, explained false positives on the benign slice: none in this organization.
ALLOWED_FALSE_POSITIVES: dict[str, set[str]] = {}


def alerts_by_policy(d: Detected) -> dict[str, set[str]]:
    with sessionmaker_for(d.engine)() as s:
        rows = s.execute(select(Alert.policy_title, Alert.user_key).where(Alert.active)).all()
    out: dict[str, set[str]] = {}
    for title, user in rows:
        out.setdefault(title, set()).add(user)
    return out


def test_every_active_policy_has_a_positive_fixture() -> None:
    assert {p.title for p in active_policies()} == set(POSITIVE)


@pytest.mark.parametrize("title", sorted(POSITIVE))
def test_policy_fires_on_its_fixture_and_not_on_the_benign_slice(
    detected: Detected, title: str
) -> None:
    fired = alerts_by_policy(detected).get(title, set())
    wanted = POSITIVE[title]
    for scenario in (wanted,) if isinstance(wanted, str) else wanted:
        target = detected.targets[scenario].casefold()
        assert target in fired, f"{title} did not fire on {scenario}"
    insiders = {detected.targets[s].casefold() for s in SCENARIOS}
    benign = fired - insiders - ALLOWED_FALSE_POSITIVES.get(title, set())
    assert not benign, f"{title} fired on benign people {sorted(benign)}"


def test_lookalikes_raise_nothing(detected: Detected) -> None:
    everyone = set().union(*alerts_by_policy(detected).values())
    for name in LOOKALIKES:
        assert detected.targets[name].casefold() not in everyone, name


def test_the_moved_share_tells_a_collector_from_a_wide_reader(detected: Detected) -> None:
    """Of the documents outside need-to-know a person reached in 90 days, the share they
    moved out: a collector moves all of them, a wide reader who started moving a few late
    stays under the policy's 0.3."""
    import duckdb

    from keyguard.analytics.store import Cache

    files = Cache(detected.home, detected.org.unit).files("features")
    rows = duckdb.sql(
        "SELECT user_key, items_outside_ntk_moved_90d AS moved, items_outside_ntk_90d AS reached, "
        f"items_outside_ntk_moved_share_90d AS share FROM read_parquet({files!r})"
    ).fetchall()
    assert rows
    for _user, moved, reached, share in rows:
        assert share == pytest.approx(moved / max(reached, 1.0))
        assert 0.0 <= share <= 1.0
    by_user: dict[str, float] = {}
    for user, _m, _r, share in rows:
        by_user[user] = max(by_user.get(user, 0.0), share)
    assert by_user[detected.targets["collect_and_move_out"].casefold()] == 1.0
    assert 0.0 < by_user[detected.targets["steady_reader_moving_out"].casefold()] < 0.3
    assert by_user[detected.targets["steady_cross_reader"].casefold()] == 0.0
