"""String pools the activity is drawn from: file paths (local, departmental shares, register
documents, removable drives), URLs per site category, e-mail addresses, USB file trees and
filler text. Activity refers to pool entries by index; strings are built once.

Imports only numpy and sibling modules of the generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from keyguard.generator.names import (
    DOC_EXTENSIONS,
    DOC_WORDS,
    FILLER_WORDS,
    FIRST_NAMES,
    LAST_NAMES,
    SUBFOLDERS,
    USB_FOLDERS,
)
from keyguard.generator.org import Org
from keyguard.generator.params import STREAM_STATIC, rng_for
from keyguard.generator.register import Register
from keyguard.generator.sites import (
    BROWSE_CATEGORIES,
    COMPETITOR_DOMAINS,
    GENERATOR_SITES,
    PAGE_WORDS,
    PARTNER_DOMAINS,
)

DOWNLOAD_EXT = ("pdf", "zip", "exe", "docx", "msi", "png")


@dataclass
class Pools:
    """All strings the activity uses, with index ranges ``(start, size)`` per owner."""

    files: list[str]
    local: np.ndarray  # (people, 2)
    common: np.ndarray  # (departments, 2)
    item_docs: np.ndarray  # (items, 2): file range for path items, URL range for URL items
    usb: tuple[int, int]
    urls: list[str]
    url_cat: np.ndarray  # (browse categories, 2) page URLs
    url_download: np.ndarray  # (browse categories, 2) download URLs
    competitor_urls: tuple[int, int]
    addresses: list[str]
    internal_addr: tuple[int, int]  # one per person, same order as org.people
    personal_addr: tuple[int, int]  # one per person
    external_addr: tuple[int, int]
    competitor_addr: tuple[int, int]
    trees: list[str]
    content: list[str]


def _doc_name(rng: np.random.Generator, n: int) -> str:
    w1 = DOC_WORDS[int(rng.integers(len(DOC_WORDS)))]
    w2 = DOC_WORDS[int(rng.integers(len(DOC_WORDS)))]
    ext = DOC_EXTENSIONS[int(rng.integers(len(DOC_EXTENSIONS)))]
    return f"{w1}_{w2}_{n}.{ext}"


def _append(pool: list[str], values: list[str]) -> tuple[int, int]:
    start = len(pool)
    pool.extend(values)
    return start, len(values)


def build_pools(org: Org, reg: Register) -> Pools:
    """Build every string pool of the organization."""
    rng = rng_for(org.params.seed, STREAM_STATIC, 1)
    domain = org.params.domain
    files: list[str] = []
    local = np.zeros((len(org.people), 2), dtype=np.int64)
    for p in org.people:
        n = int(rng.integers(15, 40))
        names = []
        for k in range(n):
            folder = ("Documents", "Desktop", "Downloads", "Documents\\Work")[k % 4]
            names.append(f"C:\\Users\\{p.user_id}\\{folder}\\{_doc_name(rng, k + 1)}")
        local[p.index] = _append(files, names)
    common = np.zeros((len(org.departments), 2), dtype=np.int64)
    for d in org.departments:
        size = sum(1 for p in org.people if p.dept == d.index)
        n = int(np.clip(size * 12, 60, 400))
        names = [
            f"{d.share}\\common\\{SUBFOLDERS[int(rng.integers(len(SUBFOLDERS)))]}\\"
            f"{_doc_name(rng, k + 1)}"
            for k in range(n)
        ]
        common[d.index] = _append(files, names)
    item_docs = np.zeros((len(reg.items), 2), dtype=np.int64)
    urls: list[str] = []
    for item in reg.items:
        item_docs[item.index] = _append(files if item.kind == "path" else urls, item.docs)
    usb_names = [
        f"R:\\{USB_FOLDERS[int(rng.integers(len(USB_FOLDERS)))]}\\{_doc_name(rng, k + 1)}"
        for k in range(400)
    ]
    usb = _append(files, usb_names)

    url_cat = np.zeros((len(BROWSE_CATEGORIES), 2), dtype=np.int64)
    url_download = np.zeros((len(BROWSE_CATEGORIES), 2), dtype=np.int64)
    for c, category in enumerate(BROWSE_CATEGORIES):
        if category == "intranet":
            hosts = [f"intranet.{domain}", f"wiki.{domain}", f"hr.{domain}"]
        else:
            hosts = [f"www.{d}" for d in GENERATOR_SITES[category]]
        pages = []
        downloads = []
        for host in hosts:
            for k in range(15):
                w = PAGE_WORDS[int(rng.integers(len(PAGE_WORDS)))]
                w2 = DOC_WORDS[int(rng.integers(len(DOC_WORDS)))]
                pages.append(f"http://{host}/{w}/{w2}_{k + 1}.html")
            for k in range(4):
                ext = DOWNLOAD_EXT[int(rng.integers(len(DOWNLOAD_EXT)))]
                w2 = DOC_WORDS[int(rng.integers(len(DOC_WORDS)))]
                downloads.append(f"http://{host}/download/{w2}_{k + 1}.{ext}")
        url_cat[c] = _append(urls, pages)
        url_download[c] = _append(urls, downloads)
    competitor_urls = _append(
        urls,
        [
            f"http://www.{d}/{section}/{w}.html"
            for d in COMPETITOR_DOMAINS
            for section in ("careers", "about", "products")
            for w in ("index", "openings", "contact")
        ],
    )

    addresses: list[str] = []
    internal_addr = _append(addresses, [p.email for p in org.people])
    personal_addr = _append(addresses, [p.personal_email for p in org.people])
    external = []
    for k in range(max(60, len(org.people) // 4)):
        first = FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]
        last = LAST_NAMES[int(rng.integers(len(LAST_NAMES)))]
        partner = PARTNER_DOMAINS[k % len(PARTNER_DOMAINS)]
        external.append(f"{first}.{last}@{partner}")
    external_addr = _append(addresses, external)
    competitor_addr = _append(
        addresses,
        [
            f"{role}@{d}"
            for d in COMPETITOR_DOMAINS
            for role in ("recruiting", "careers", "hr", "talent")
        ],
    )

    trees = []
    for _ in range(300):
        n = int(rng.integers(1, 5))
        picks = sorted({USB_FOLDERS[int(rng.integers(len(USB_FOLDERS)))] for _ in range(n)})
        trees.append(";".join(["R:\\", *[f"R:\\{f}" for f in picks]]))
    content = []
    for _ in range(500):
        n = int(rng.integers(3, 10))
        content.append(
            " ".join(FILLER_WORDS[int(rng.integers(len(FILLER_WORDS)))] for _ in range(n))
        )
    return Pools(
        files=files,
        local=local,
        common=common,
        item_docs=item_docs,
        usb=usb,
        urls=urls,
        url_cat=url_cat,
        url_download=url_download,
        competitor_urls=competitor_urls,
        addresses=addresses,
        internal_addr=internal_addr,
        personal_addr=personal_addr,
        external_addr=external_addr,
        competitor_addr=competitor_addr,
        trees=trees,
        content=content,
    )
