"""Locust users for drills/load.py: 80% reads and 20% writes over the main pages and the API.

Each simulated user arrives logged in (a session made beforehand, see drills/prodstack.py)
with its account's API token; DRILL_AUTH names the JSON file that holds them. Reads: the
ledger (list, filter, search), a project page, the requests queue, a request page, the
cockpit's data, the API's lists. Writes: a request submitted through the API, a note on it,
a stage move of the user's own project (forward, then corrected back with a reason), a
service record through the web form.
"""

import datetime as dt
import json
import os
import random
import re
import secrets
import string
from pathlib import Path
from zoneinfo import ZoneInfo

from locust import FastHttpUser, between, events, task

AUTH = json.loads(Path(os.environ["DRILL_AUTH"]).read_text()) if "DRILL_AUTH" in os.environ else {}
SEARCHES = ["锦州", "新能源", "医药", "化工", "光伏", "港口"]
STAGES = ["lead", "negotiating", "signed", "construction", "operation"]
_next_session = 0


@events.init_command_line_parser.add_listener
def _options(parser) -> None:  # type: ignore[no-untyped-def]
    parser.add_argument("--think-min", type=float, default=0.1, help="seconds between tasks")
    parser.add_argument("--think-max", type=float, default=0.5)


def _ok(response, *codes: int) -> None:  # type: ignore[no-untyped-def]
    if response.status_code not in (codes or (200,)):
        response.failure(f"{response.status_code}: {response.text[:200]}")
    else:
        response.success()


class Staff(FastHttpUser):
    def wait_time(self) -> float:  # type: ignore[override]
        opts = self.environment.parsed_options
        lo, hi = (opts.think_min, opts.think_max) if opts else (0.1, 0.5)
        return between(lo, hi)(self)

    def on_start(self) -> None:
        global _next_session
        username, session = AUTH["sessions"][_next_session % len(AUTH["sessions"])]
        _next_session += 1
        self.csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
        self.page_headers = {"Cookie": f"{AUTH['cookie']}={session}; csrftoken={self.csrf}"}
        self.api = {"Authorization": f"Bearer {AUTH['tokens'][username]}"}
        self.projects = self._ids("/api/v1/projects?limit=100")
        self.requests = self._ids("/api/v1/requests?limit=100")
        with self.client.get("/api/v1/enterprises?limit=100", headers=self.api,
                             name="/api/v1/enterprises", catch_response=True) as r:  # fmt: skip
            _ok(r)
            items = r.json()["items"]
        self.enterprises = [e["id"] for e in items]
        self.located = [(e["id"], e["region"]["id"]) for e in items if e.get("region")]
        with self.client.get("/api/v1/requests/categories", headers=self.api,
                             name="/api/v1/requests/categories", catch_response=True) as r:  # fmt: skip
            _ok(r)
            self.categories = [c["code"] for c in r.json()["items"]]
        self.mine: list[int] = []
        self.own_project = self._new_project()
        self.stage_forward = True
        self.record_form = self._record_choices()

    # --- helpers ---------------------------------------------------------------------------

    def _ids(self, path: str) -> list[int]:
        name = path.split("?")[0]
        with self.client.get(path, headers=self.api, name=name, catch_response=True) as r:
            _ok(r)
            return [item["id"] for item in r.json()["items"]]

    def _page(self, path: str, name: str) -> None:
        with self.client.get(path, headers=self.page_headers, name=name, catch_response=True) as r:
            _ok(r)

    def _new_project(self) -> int | None:
        if not self.located:
            return None
        enterprise, region = random.choice(self.located)
        body = {"name": f"压测项目 {secrets.token_hex(4)}", "enterprise_id": enterprise,
                "region_id": region, "total_investment_wan": "1000"}  # fmt: skip
        with self.client.post("/api/v1/projects", json=body, headers=self.api,
                              name="/api/v1/projects [POST]", catch_response=True) as r:  # fmt: skip
            _ok(r, 201)
            return r.json()["id"] if r.status_code == 201 else None

    def _record_choices(self) -> dict[str, str] | None:
        """The service-record form's first steward and enterprise (None: this role has none)."""
        with self.client.get("/services/new/", headers=self.page_headers,
                             name="/services/new/", catch_response=True) as r:  # fmt: skip
            _ok(r)
            html = r.text or ""
        choice = {}
        for field in ("steward", "enterprise"):
            select = re.search(rf'<select name="{field}"[^>]*>(.*?)</select>', html, re.S)
            values = re.findall(r'<option value="(\d+)"', select.group(1)) if select else []
            if not values:
                return None
            choice[field] = values[0]
        return choice

    # --- reads (80) ------------------------------------------------------------------------

    @task(14)
    def ledger(self) -> None:
        self._page("/projects/", "/projects/")

    @task(8)
    def ledger_filtered(self) -> None:
        stage = random.choice(STAGES)
        self._page(f"/projects/?stage={stage}", "/projects/?stage=")

    @task(8)
    def ledger_search(self) -> None:
        self._page(f"/projects/?q={random.choice(SEARCHES)}", "/projects/?q=")

    @task(14)
    def project(self) -> None:
        self._page(f"/projects/{random.choice(self.projects)}/", "/projects/[id]/")

    @task(10)
    def queue(self) -> None:
        self._page("/requests/", "/requests/")

    @task(10)
    def request_page(self) -> None:
        self._page(f"/requests/{random.choice(self.requests)}/", "/requests/[id]/")

    @task(8)
    def cockpit_data(self) -> None:
        self._page("/cockpit/data/", "/cockpit/data/")

    @task(4)
    def api_projects(self) -> None:
        with self.client.get("/api/v1/projects?limit=20", headers=self.api,
                             name="/api/v1/projects", catch_response=True) as r:  # fmt: skip
            _ok(r)

    @task(4)
    def api_requests(self) -> None:
        with self.client.get("/api/v1/requests?limit=20", headers=self.api,
                             name="/api/v1/requests", catch_response=True) as r:  # fmt: skip
            _ok(r)

    # --- writes (20) -----------------------------------------------------------------------

    @task(7)
    def submit_request(self) -> None:
        body = {
            "category": random.choice(self.categories),
            "enterprise_id": random.choice(self.enterprises),
            "text": f"压测诉求：用电报装进度咨询 {secrets.token_hex(4)}",
        }
        with self.client.post("/api/v1/requests", json=body, headers=self.api,
                              name="/api/v1/requests [POST]", catch_response=True) as r:  # fmt: skip
            _ok(r, 201)
            if r.status_code == 201:
                self.mine.append(r.json()["id"])

    @task(5)
    def note(self) -> None:
        if not self.mine:
            return self.submit_request()
        pk = random.choice(self.mine[-20:])
        with self.client.post(f"/api/v1/requests/{pk}/steps/note", json={"note": "已电话联系企业"},
                              headers=self.api, name="/api/v1/requests/[id]/steps/note",
                              catch_response=True) as r:  # fmt: skip
            _ok(r)

    @task(4)
    def stage_move(self) -> None:
        if self.own_project is None:
            return self.submit_request()
        body = ({"to_stage": "negotiating"} if self.stage_forward
                else {"to_stage": "lead", "reason": "压测：阶段更正"})  # fmt: skip
        with self.client.post(f"/api/v1/projects/{self.own_project}/transition", json=body,
                              headers=self.api, name="/api/v1/projects/[id]/transition",
                              catch_response=True) as r:  # fmt: skip
            _ok(r)
            if r.status_code == 200:
                self.stage_forward = not self.stage_forward

    @task(4)
    def service_record(self) -> None:
        if self.record_form is None:
            return self.submit_request()
        form = {
            "csrfmiddlewaretoken": self.csrf,
            "steward": self.record_form["steward"],
            "enterprise": self.record_form["enterprise"],
            "kind": "call",
            "date": dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat(),
            "summary": "压测：电话了解企业用工需求",
            "problems_solved": "0",
        }
        with self.client.post("/services/new/", data=form, headers=self.page_headers,
                              name="/services/new/ [POST]", allow_redirects=False,
                              catch_response=True) as r:  # fmt: skip
            _ok(r, 302)
