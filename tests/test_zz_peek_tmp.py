import json, pytest
from tests.test_api import *  # noqa

def test_peek(client, as_admin, ledger, conference):
    def show(r): print(r.status_code, json.dumps(r.json(), ensure_ascii=False)[:700])
    for b in ["[1,2]", '{"name": 5, "credit_code": ["a"]}', '{"name":"x","credit_code":"x","region_id":1e400}', '{"name":"x","credit_code":"x","unknown":1}', "{bad", '{"name": "' + "长" * 500 + '", "credit_code": "' + credit_code() + '"}']:
        show(send(client, "post", "/enterprises", b, as_admin))
    show(client.get(f"{API}/projects?limit=1&sort=name", headers=as_admin))
    show(client.get(f"{API}/projects?stage=done&limit=abc", headers=as_admin))
    show(client.get(f"{API}/projects/{ledger['coke'].pk}", headers=as_admin))
    show(client.get(f"{API}/events/{conference.pk}", headers=as_admin))
    show(send(client, "post", "/projects", {"name":"x","enterprise_id":ledger['coke'].enterprise_id,"region_id":1,"total_investment_wan":"1"*40}, as_admin))
    show(client.get(f"{API}/enterprises/{ledger['coke'].enterprise_id}", headers=as_admin))
