"""What an enterprise contact reaches: every page in its words, none of the internal lists."""

from typing import Any

import pytest
from django.test import Client

from .authz_matrix import WEB, codes
from .authz_world import build_world
from .shared_world import shared_world
from .test_authz_matrix import web_url

_shared_world, _fresh, regions, users, own_enterprise, world = shared_world(build_world)

# The bureau's own words: its lists (the ledger, the stalled list, the guarantee lists, the
# stewards' service log) and its tags on a project or request (停滞, 升级, 督办, 内部备注).
INTERNAL_WORDS = ("项目台账", "停滞", "要素保障", "服务记录", "已升级", "督办", "内部备注", "招商线索", "卡点")

ENTERPRISE_GETS = sorted(k for k, row in WEB.items() if codes(row.get)[1] == "200")


@pytest.mark.parametrize("key", ENTERPRISE_GETS)
def test_probe(world: dict[str, Any], key: str) -> None:
    row = WEB[key]
    user = world["users"]["enterprise"]
    client = Client()
    client.force_login(user)
    url = web_url(key, row, world, user, False) + row.query
    response = client.get(url)
    body = response.content.decode(errors="replace") if response.status_code == 200 else ""
    found = [w for w in INTERNAL_WORDS if w in body]
    print(f"\nPROBE {key} {url} {response.status_code} {response.get('Content-Type')} {found}")
