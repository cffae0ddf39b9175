"""The web as the generator sees it: fictional sites per category (each one also listed in
``library/sites/categories.yaml``), intranet and competitor hosts, and browsing weights.

The generator keeps its own fixed list so that officers adding sites to the shipped
categories never changes generated data. Imports nothing from keyguard.
"""

from __future__ import annotations

GENERATOR_SITES: dict[str, tuple[str, ...]] = {
    "cloud_storage": ("cloudbox.example", "skyvault.example", "filenest.example"),
    "file_sharing": ("sharedrop.example", "bigsend.example"),
    "leak_site": ("leakdrop.example", "openvault-leaks.example"),
    "job_search": ("jobhunter.example", "careerladder.example", "talentpool.example"),
    "hacking_tools": ("keyspy-tools.example", "crackworks.example", "stealthlogger.example"),
    "webmail": ("mailbox.example", "postbox.example", "quickmail.example"),
    "search": ("findit.example", "seekr.example"),
    "news": ("dailyherald.example", "worldwire.example", "techgazette.example"),
    "social_media": ("friendspace.example", "chatterbox.example"),
    "shopping": ("shopmart.example", "bidhouse.example"),
    "business": ("partsupply.example", "aerostandards.example", "tradeportal.example"),
    "software": ("softupdate.example", "devdocs.example"),
    "reference": ("openmaps.example", "engineeringref.example", "dictionary.example"),
    "travel": ("flyaway.example", "hotelfinder.example"),
    "entertainment": ("streamtube.example", "gamezone.example", "scoreboard.example"),
}
"""Fictional sites per category (a subset of the shipped categories file)."""

COMPETITOR_DOMAINS: tuple[str, ...] = ("rivaldyne.example", "aerocompetitor.example")
"""Competitors of the unit (not a site category: competitors are particular to a unit)."""

PARTNER_DOMAINS: tuple[str, ...] = (
    "partsupply.example",
    "aerostandards.example",
    "skyframe-partners.example",
    "ministry-procurement.example",
)
"""E-mail domains of business partners."""

BROWSE_WEIGHTS: dict[str, float] = {
    "intranet": 0.16,
    "business": 0.12,
    "software": 0.08,
    "search": 0.18,
    "news": 0.1,
    "reference": 0.11,
    "social_media": 0.06,
    "shopping": 0.05,
    "travel": 0.03,
    "entertainment": 0.05,
    "webmail": 0.03,
    "cloud_storage": 0.004,
    "file_sharing": 0.002,
    "job_search": 0.002,
    "leak_site": 0.0,
    "hacking_tools": 0.0,
}
"""Typical share of a person's page visits per category (``intranet`` = the unit's own)."""

BROWSE_CATEGORIES: tuple[str, ...] = tuple(BROWSE_WEIGHTS)

PAGE_WORDS: tuple[str, ...] = (
    "index",
    "home",
    "article",
    "products",
    "about",
    "search",
    "results",
    "story",
    "item",
    "help",
    "account",
    "view",
    "page",
    "docs",
    "latest",
)
