"""Pages in English and Simplified Chinese; complete catalogues."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from keyguard.identity.models import Account
from keyguard.web import i18n

from .conftest import csrf_of
from .prepared import World

ROOT = Path(__file__).resolve().parents[2]


def test_login_page_follows_the_browser_language(client: TestClient) -> None:
    zh = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert '<html lang="zh-Hans-CN">' in zh.text
    assert "登录 keyguard" in zh.text and "电子邮件地址" in zh.text
    en = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert '<html lang="en">' in en.text and "Log in to keyguard" in en.text
    tw = client.get("/login", headers={"Accept-Language": "zh-TW"})
    assert '<html lang="en">' in tw.text  # no traditional Chinese catalogue


def test_language_switch_on_the_login_page(client: TestClient) -> None:
    page = client.get("/login")
    switched = client.post(
        "/language",
        data={"csrf_token": csrf_of(page.text), "language": "zh_Hans_CN", "next": "/login"},
        follow_redirects=False,
    )
    assert switched.status_code == 303 and switched.headers["location"] == "/login"
    assert "kg_lang=zh_Hans_CN" in switched.headers["set-cookie"]
    assert "密码" in client.get("/login").text


def test_account_language_is_used_everywhere(signed_in, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    officer = signed_in("security_officer")
    response = officer.post(
        "/language", data={"language": "zh_Hans_CN", "next": "/account"}, follow_redirects=False
    )
    assert response.headers["location"] == "/account"
    db.expire_all()
    assert db.get(Account, world.accounts["security_officer"]).language == "zh_Hans_CN"
    page = officer.get(f"/units/{world.units['a']}/people").text
    for text in ("人员", "组织架构", "我的账号", "退出登录", "假名", "工号", "7 人"):
        assert text in page, text
    assert "张伟" in page and "محمد عبد الله" in page and "José Ñúñez-Müller" in page
    dashboard = officer.get(f"/units/{world.units['a']}/dashboard").text
    assert "在册 7 人" in dashboard and "概览" in dashboard
    # Another browser of the same account gets Chinese too (the choice is the account's).
    assert "我的账号" in signed_in("security_officer").get("/account").text


def test_unknown_language_falls_back_to_english(signed_in) -> None:  # type: ignore[no-untyped-def]
    me = signed_in("analyst")
    me.post("/language", data={"language": "xx", "next": "/account"})
    assert "My account" in me.get("/account").text


def test_catalogues_cover_every_message() -> None:
    extracted = {m.id for m in i18n.extract(ROOT) if m.id}
    assert len(extracted) > 150
    for language in i18n.LANGUAGES:
        from babel.messages.pofile import read_po

        with i18n.po_path(language).open("rb") as fh:
            catalog = read_po(fh, locale=language)
        known = {m.id for m in catalog if m.id}
        missing = sorted(str(m) for m in extracted - known)
        assert not missing, (
            f"{language}: run `python -m keyguard.web.i18n`, then translate {missing}"
        )
        if language != i18n.DEFAULT:
            untranslated = sorted(
                str(m.id)
                for m in catalog
                if m.id and not (all(m.string) if isinstance(m.string, tuple | list) else m.string)
            )
            assert not untranslated, f"{language}: translate {untranslated}"
            fuzzy = sorted(str(m.id) for m in catalog if m.id and m.fuzzy)
            assert not fuzzy, f"{language}: review fuzzy {fuzzy}"


def test_placeholders_survive_translation() -> None:
    from babel.messages.pofile import read_po

    with i18n.po_path("zh_Hans_CN").open("rb") as fh:
        catalog = read_po(fh, locale="zh_Hans_CN")
    import re

    placeholder = re.compile(r"%\(\w+\)[sd]")
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(placeholder.findall(ids[0]))
        for text in strings:
            assert set(placeholder.findall(text)) == wanted, message.id
