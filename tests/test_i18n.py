"""The interface speaks Simplified Chinese by default and English when asked."""

import gettext
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from guanjia.accounts.models import ApiToken
from guanjia.projects.stages import Stage
from guanjia.testing.factories import ProjectFactory, credit_code
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

CATALOGUE = Path(settings.LOCALE_PATHS[0]) / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdif]|\{\w*\}")


@pytest.fixture
def admin_client(client, users):
    client.force_login(users["admin"])
    return client


def english_client(users) -> Client:
    """A browser that chose English with the switch: the language cookie is set."""
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(users["admin"])
    return client


# Pages ------------------------------------------------------------------------------------


def test_the_login_page_is_in_chinese_by_default(client, users):
    html = client.get(reverse("login")).content.decode()

    assert '<html lang="zh-hans">' in html
    assert "登录" in html and "用户名" in html and "密码" in html
    assert "Log in" not in html and "Password" not in html


def test_a_failed_log_in_is_explained_in_chinese(client, users):
    response = client.post(
        reverse("login"), {"username": users["admin"].username, "password": "wrong"}
    )

    assert "用户名或密码不正确，请重试。" in response.content.decode()


def test_logging_in_leads_to_the_chinese_ledger(client, users):
    response = client.post(
        reverse("login"), {"username": users["admin"].username, "password": PASSWORD}, follow=True
    )
    html = response.content.decode()

    assert "项目台账" in html and "全部阶段" in html and "退出登录" in html
    assert "Project ledger" not in html and "All stages" not in html


def test_the_ledger_counts_and_labels_its_projects_in_chinese(admin_client, linghai):
    ProjectFactory(name="针状焦项目", region=linghai, stage=Stage.CONSTRUCTION)

    html = admin_client.get(reverse("projects:project_list")).content.decode()

    assert re.search(r'共\s*<strong class="count">1</strong>\s*个项目', html)
    assert '<span class="tag stage-construction">开工在建</span>' in html
    assert "亿元" in html and "Under construction" not in html


def test_stage_labels_translate_to_the_bureaus_words():
    with translation.override("zh-hans"):
        labels = [str(stage.label) for stage in Stage]

    assert labels == [
        "线索",
        "在谈",
        "签约",
        "注册落地",
        "手续办理",
        "开工在建",
        "投产",
        "达产",
        "终止",
    ]


def test_a_bad_credit_code_is_explained_in_chinese_next_to_its_field(admin_client):
    response = admin_client.post(
        reverse("enterprises:enterprise_create"),
        {"name": "锦州九泰药业有限责任公司", "credit_code": "91210781MA0O"},
    )

    assert response.status_code == 400
    assert "统一社会信用代码应为18位，此代码为12位" in response.content.decode()


def test_a_select_with_nothing_chosen_says_so_in_chinese(admin_client):
    html = admin_client.get(reverse("projects:project_create")).content.decode()

    assert "- 请选择 -" in html and "Select an option" not in html


def test_the_language_cookie_switches_the_same_page_to_english(users, linghai):
    ProjectFactory(name="针状焦项目", region=linghai, stage=Stage.CONSTRUCTION)

    html = english_client(users).get(reverse("projects:project_list")).content.decode()

    assert '<html lang="en">' in html
    assert "Project ledger" in html and "Under construction" in html
    assert "项目台账" not in html and "开工在建" not in html
    assert "针状焦项目" in html  # the data stays as it was entered


def test_the_switch_in_the_header_sets_english_and_back(admin_client):
    admin_client.post(reverse("set_language"), {"language": "en", "next": "/projects/"})
    assert "Project ledger" in admin_client.get(reverse("projects:project_list")).content.decode()

    admin_client.post(reverse("set_language"), {"language": "zh-hans", "next": "/projects/"})
    assert "项目台账" in admin_client.get(reverse("projects:project_list")).content.decode()


def test_a_browser_asking_for_zh_cn_gets_simplified_chinese(users):
    client = Client(headers={"accept-language": "zh-CN,zh;q=0.9"})
    client.force_login(users["admin"])

    assert "项目台账" in client.get(reverse("projects:project_list")).content.decode()


# The API ----------------------------------------------------------------------------------


def test_an_api_error_is_in_chinese_by_default_and_english_on_request(users):
    _, raw = ApiToken.issue(users["admin"], name="i18n")
    code = credit_code()
    bad = code[:17] + ("0" if code[17] != "0" else "1")

    response = Client().post(
        "/api/v1/enterprises",
        {"name": "某公司", "credit_code": bad},
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )

    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "提交的数据有误。"
    assert body["errors"][0]["field"] == "credit_code"
    assert body["errors"][0]["message"].startswith("校验码（第18位）")
    assert Client().get("/api/v1/no-such-thing").json() == {"detail": "未找到"}
    english = Client(headers={"accept-language": "en"})
    assert english.get("/api/v1/no-such-thing").json() == {"detail": "Not found"}


# The catalogue ----------------------------------------------------------------------------


@dataclass
class Entry:
    ctxt: str
    msgid: str
    plural: str
    strs: list[str]
    fuzzy: bool


def catalogue_entries() -> list[Entry]:
    """The .po file's entries (the header left out)."""
    entries = []
    for block in CATALOGUE.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        key = ""
        for line in block.splitlines():
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (".*")$', line)
            if match:
                key = match.group(1)
                fields[key] = json.loads(match.group(2))  # PO strings escape as JSON ones do
            elif line.startswith('"') and key:
                fields[key] += json.loads(line)
        if fields.get("msgid"):
            entries.append(
                Entry(
                    ctxt=fields.get("msgctxt", ""),
                    msgid=fields["msgid"],
                    plural=fields.get("msgid_plural", ""),
                    strs=[v for k, v in fields.items() if k.startswith("msgstr")],
                    fuzzy=bool(re.search(r"^#,.*\bfuzzy\b", block, re.M)),
                )
            )
    return entries


def test_every_catalogue_entry_is_translated_and_none_is_fuzzy():
    entries = catalogue_entries()

    assert len(entries) > 500
    assert [e.msgid for e in entries if e.fuzzy] == []
    assert [e.msgid for e in entries if not all(e.strs)] == []
    # Chinese has one plural form.
    assert [e.msgid for e in entries if e.plural and len(e.strs) != 1] == []


def test_translations_keep_every_placeholder():
    wrong = []
    for entry in catalogue_entries():
        source = entry.plural or entry.msgid
        for translated in entry.strs:
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(translated)):
                wrong.append(entry.msgid)

    assert wrong == []


def test_the_compiled_catalogue_matches_its_source():
    """The .mo is committed beside the .po: a translation edited but not compiled shows here."""
    with CATALOGUE.with_suffix(".mo").open("rb") as f:
        compiled = gettext.GNUTranslations(f)._catalog  # type: ignore[attr-defined]

    stale = []
    for entry in catalogue_entries():
        msgid = f"{entry.ctxt}\x04{entry.msgid}" if entry.ctxt else entry.msgid
        for index, translated in enumerate(entry.strs):
            key = (msgid, index) if entry.plural else msgid
            if compiled.get(key) != translated:
                stale.append(entry.msgid)

    assert stale == []
