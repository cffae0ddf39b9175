"""The exact texts people sign (English and Simplified Chinese) and their SHA-256.

A signature stores the text as shown and its hash; ``TEMPLATE_VERSION`` changes whenever the
wording below changes, so an old signature always says which wording it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from keyguard.records.duties.models import Framework, FrameworkObject

TEMPLATE_VERSION = 1

_STATEMENT = {
    "en": (
        'I, {name}, holding the position "{position}", accept responsibility for the following '
        "security duties. I will carry them out, keep the evidence each one requires and report "
        "when I cannot.\n\n{duties}\n\nFrameworks: {frameworks}."
    ),
    "zh-CN": (
        "本人{name}，担任“{position}”岗位，承诺履行以下保密安全职责，按要求保存每项职责的证据，"
        "无法履行时及时报告。\n\n{duties}\n\n依据框架：{frameworks}。"
    ),
}
_ATTESTATION = {
    "en": (
        'I, {name}, attest that for the period {period} I carried out the duty {ref} "{duty}" '
        "of {framework} (version {version}), and that its evidence ({evidence}) is available."
    ),
    "zh-CN": (
        "本人{name}确认：在{period}期间已履行《{framework}》（第{version}版）第{ref}项职责"
        "“{duty}”，相应证据（{evidence}）可供查验。"
    ),
}
EVIDENCE_LABELS = {
    "en": {
        "signed_statement": "signed statement",
        "attestation": "attestation",
        "training_completed": "training completed",
        "access_review_done": "access review done",
        "finding_closed": "finding closed",
        "report_submitted": "report submitted",
        "document": "document",
    },
    "zh-CN": {
        "signed_statement": "签署的责任书",
        "attestation": "履职确认",
        "training_completed": "完成培训",
        "access_review_done": "完成权限复核",
        "finding_closed": "问题整改关闭",
        "report_submitted": "提交报告",
        "document": "书面文件",
    },
}
FREQUENCY_LABELS = {
    "en": {
        "once": "once",
        "on_start": "on taking up the post",
        "monthly": "monthly",
        "quarterly": "quarterly",
        "yearly": "yearly",
    },
    "zh-CN": {
        "once": "一次",
        "on_start": "到岗时",
        "monthly": "每月",
        "quarterly": "每季度",
        "yearly": "每年",
    },
}


def lang(locale: str | None) -> str:
    """The supported language closest to ``locale`` ("zh*" → "zh-CN", else "en")."""
    return "zh-CN" if (locale or "").lower().startswith("zh") else "en"


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def duty_name(duty: FrameworkObject, locale: str | None) -> str:
    """The duty's name in ``locale`` (falls back to the framework's own language)."""
    tr = (duty.translations or {}).get(lang(locale)) if locale else None
    return str(tr["name"]) if tr else duty.name


def duty_description(duty: FrameworkObject, locale: str | None) -> str:
    tr = (duty.translations or {}).get(lang(locale)) if locale else None
    if tr and tr.get("description"):
        return str(tr["description"])
    return duty.description


def framework_name(fw: Framework, locale: str | None) -> str:
    tr = (fw.translations or {}).get(lang(locale)) if locale else None
    return str(tr["name"]) if tr else fw.name


def evidence_text(kinds: Sequence[str], locale: str | None) -> str:
    labels = EVIDENCE_LABELS[lang(locale)]
    sep = "、" if lang(locale) == "zh-CN" else ", "
    return sep.join(labels.get(k, k) for k in kinds) or labels["attestation"]


def statement_text(
    *,
    name: str,
    position: str,
    duties: Sequence[FrameworkObject],
    frameworks: dict[int, Framework],
    locale: str | None,
) -> str:
    """The responsibility statement for a person's current duties, exactly as signed."""
    lines = [
        f"{i}. {duty.ref_id} {duty_name(duty, locale)}" for i, duty in enumerate(duties, start=1)
    ]
    used = sorted({frameworks[d.framework_id].id for d in duties})
    fws = "; ".join(
        f"{framework_name(frameworks[i], locale)} v{frameworks[i].version}" for i in used
    )
    return _STATEMENT[lang(locale)].format(
        name=name, position=position, duties="\n".join(lines), frameworks=fws
    )


def attestation_text(
    *, name: str, duty: FrameworkObject, framework: Framework, period: str, locale: str | None
) -> str:
    """The attestation of one duty for one period, exactly as signed."""
    return _ATTESTATION[lang(locale)].format(
        name=name,
        period=period,
        ref=duty.ref_id,
        duty=duty_name(duty, locale),
        framework=framework_name(framework, locale),
        version=framework.version,
        evidence=evidence_text(duty.evidence, locale),
    )
