"""The small generated unit (30 people, 30 days) shared by the generator tests."""

from __future__ import annotations

import pytest
from gen_support import SMALL, Generated

from keyguard.generator import generate


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    """30 people over 30 days (seed 7), answers outside the output folder."""
    base = tmp_path_factory.mktemp("gen-small")
    generate(SMALL, base / "out", base / "answers")
    return Generated(base / "out", base / "answers")
