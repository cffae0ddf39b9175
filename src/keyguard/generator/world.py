"""Everything built before activity is generated, in one object: calendar, organization,
register, string pools (as numpy object arrays) and habits, plus derived lookups.

Imports only numpy and sibling modules of the generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from keyguard.generator.calendar import Calendar
from keyguard.generator.habits import Habits
from keyguard.generator.org import Org
from keyguard.generator.params import GeneratorParams
from keyguard.generator.register import Register
from keyguard.generator.universe import Pools


@dataclass
class World:
    """The generated unit and its pools; built once, read by activity and scenarios."""

    params: GeneratorParams
    cal: Calendar
    org: Org
    reg: Register
    pools: Pools
    habits: Habits
    files: np.ndarray  # object array of pools.files
    urls: np.ndarray
    addresses: np.ndarray
    trees: np.ndarray
    content: np.ndarray
    team_members: list[np.ndarray]  # person indices per team
    dept_members: list[np.ndarray]  # person indices per department
    url_item: np.ndarray  # (people, 2): URL range of the own department's wiki item, or size 0
    team_of: np.ndarray  # team index per person, -1 if none
    dept_of: np.ndarray  # department index per person, -1 if none
    team_flat: (
        np.ndarray
    )  # members of team t at team_flat[team_off[t] : team_off[t] + team_size[t]]
    team_off: np.ndarray
    team_size: np.ndarray  # one extra entry (size 0) at the end for "no team"
    dept_flat: np.ndarray
    dept_off: np.ndarray
    dept_size: np.ndarray

    @property
    def people(self) -> int:
        """Number of people ever employed."""
        return len(self.org.people)


def _objects(values: list[str]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _flat(groups: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sizes = np.array([len(g) for g in groups] + [0], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    flat = np.concatenate([*groups, np.zeros(0, dtype=np.int64)]).astype(np.int64)
    return flat, offsets, sizes


def build_world(
    params: GeneratorParams, cal: Calendar, org: Org, reg: Register, pools: Pools, habits: Habits
) -> World:
    """Bundle the built parts and derive the per-team and per-department lookups."""
    team_members = [
        np.array([p.index for p in org.people if p.team == t.index], dtype=np.int64)
        for t in org.teams
    ]
    dept_members = [
        np.array([p.index for p in org.people if p.dept == d.index], dtype=np.int64)
        for d in org.departments
    ]
    url_item = np.zeros((len(org.people), 2), dtype=np.int64)
    wiki_by_dept = {i.dept: i.index for i in reg.items if i.kind == "url"}
    for p in org.people:
        item = wiki_by_dept.get(p.dept)
        if item is not None:
            url_item[p.index] = pools.item_docs[item]
    team_flat, team_off, team_size = _flat(team_members)
    dept_flat, dept_off, dept_size = _flat(dept_members)
    return World(
        params=params,
        cal=cal,
        org=org,
        reg=reg,
        pools=pools,
        habits=habits,
        files=_objects(pools.files),
        urls=_objects(pools.urls),
        addresses=_objects(pools.addresses),
        trees=_objects(pools.trees),
        content=_objects(pools.content),
        team_members=team_members,
        dept_members=dept_members,
        url_item=url_item,
        team_of=np.array([p.team for p in org.people], dtype=np.int64),
        dept_of=np.array([p.dept for p in org.people], dtype=np.int64),
        team_flat=team_flat,
        team_off=team_off,
        team_size=team_size,
        dept_flat=dept_flat,
        dept_off=dept_off,
        dept_size=dept_size,
    )
