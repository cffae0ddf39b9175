"""Site categories: the fixed list, suffix matching, officers' additions, and the generator's
own sites."""

from __future__ import annotations

from pathlib import Path

import pytest

from keyguard.errors import InputError
from keyguard.generator.sites import COMPETITOR_DOMAINS, GENERATOR_SITES
from keyguard.library.site_categories import (
    CATEGORIES,
    category_of,
    load_categories,
    make_matcher,
)


def test_fixed_categories_without_protected_traits() -> None:
    categories = load_categories()
    assert tuple(categories) == CATEGORIES
    for required in (
        "cloud_storage",
        "file_sharing",
        "leak_site",
        "job_search",
        "hacking_tools",
        "webmail",
        "search",
        "news",
        "social_media",
        "shopping",
        "travel",
    ):
        assert categories[required], required
    banned = ("health", "relig", "politic", "ethnic", "nation", "union", "personal")
    assert not [c for c in categories if any(b in c for b in banned)]


def test_suffix_matching_on_whole_labels() -> None:
    assert category_of("www.dropbox.com") == "cloud_storage"
    assert category_of("dropbox.com") == "cloud_storage"
    assert category_of("notdropbox.com") is None
    assert category_of("drive.google.com") == "cloud_storage"
    assert category_of("www.google.com") == "search"
    assert category_of("http://www.leakdrop.example/submit/upload?file=x.docx") == "leak_site"
    assert category_of("WWW.JobHunter.Example.:8080") == "job_search"
    assert category_of("intranet.dtaa.example") is None
    assert category_of(COMPETITOR_DOMAINS[0]) is None


def test_generator_sites_are_categorised_the_same() -> None:
    for category, domains in GENERATOR_SITES.items():
        for domain in domains:
            assert category_of(f"www.{domain}") == category, domain


def test_officers_may_add_sites_but_not_categories(tmp_path: Path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text("cloud_storage:\n  - newcloud.example\njob_search: [jobs.example]\n")
    categories = load_categories([extra])
    assert "newcloud.example" in categories["cloud_storage"]
    assert make_matcher(categories)("a.newcloud.example") == "cloud_storage"
    assert category_of("a.newcloud.example", categories) == "cloud_storage"
    assert category_of("a.newcloud.example") is None  # the shipped list is unchanged
    bad = tmp_path / "bad.yaml"
    bad.write_text("gambling:\n  - casino.example\n")
    with pytest.raises(InputError, match="categories may not"):
        load_categories([bad])
    protected = tmp_path / "protected.yaml"
    protected.write_text("religion:\n  - church.example\n")
    with pytest.raises(InputError, match="protected"):
        load_categories([protected])
    clash = tmp_path / "clash.yaml"
    clash.write_text("news:\n  - dropbox.com\n")
    with pytest.raises(InputError, match="both"):
        load_categories([clash])
    junk = tmp_path / "junk.yaml"
    junk.write_text("news:\n  - 'not a domain'\n")
    with pytest.raises(InputError, match="not a domain"):
        load_categories([junk])
