"""Two app nodes behind nginx sharing one PostgreSQL, one Redis and one object store (issue 20,
item 2): `make drill-nodes`.

Each node has a working folder of its own (GUANJIA_VAR_DIR: nothing on one node's disk is
seen by the other) and runs the production stack, `guanjia serve_prod` (gunicorn, a task
worker on Redis, the scheduler). They share the drill's PostgreSQL database `gj_nodes` (the
Jinzhou demo), two Redis databases (cache and queue) and the private files in a SeaweedFS
bucket (a SeaweedFS of the drill's own on free loopback ports). nginx, in front, spreads the
requests over both.

What it checks, and prints a verdict for:

1. each node's /readyz is 200 with the storage check passing (the bucket takes a file);
2. through nginx, a signed-in user's pages are served by both nodes (one session, in Redis);
3. a policy document uploaded to node 1 is downloaded from node 2, byte for byte, and is on
   neither node's disk (it is in the bucket); an anonymous request to the bucket is refused;
4. a report asked for on node 2 is drawn by whichever node's worker takes the task and is
   downloaded from node 1 and through nginx;
5. node 1 stopped: nginx serves every request from node 2, without a 5xx.

    python drills/two_nodes.py [--fresh]    # --fresh: drop and rebuild the drill's database
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import prodstack  # noqa: E402

from guanjia.testing.seaweedfs import BUCKET, SeaweedFS, free_base_port  # noqa: E402

ROOT = prodstack.ROOT
NGINX = next((p for p in ("/usr/sbin/nginx", "/usr/bin/nginx") if Path(p).exists()), "nginx")
DATABASE = "gj_nodes"
REDIS_DBS = (12, 13)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + os.urandom(64).hex().encode()

NGINX_CONF = """\
{user}
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    log_format node '$upstream_addr $status';
    access_log {work}/nginx-access.log node;
    client_max_body_size 60m;
    client_body_temp_path {work}/nginx-body;
    proxy_temp_path {work}/nginx-proxy;
    fastcgi_temp_path {work}/nginx-fastcgi;
    uwsgi_temp_path {work}/nginx-uwsgi;
    scgi_temp_path {work}/nginx-scgi;
    upstream guanjia {{
        server 127.0.0.1:{port1} max_fails=1 fail_timeout=10s;
        server 127.0.0.1:{port2} max_fails=1 fail_timeout=10s;
        keepalive 8;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            include {root}/deploy/nginx/guanjia-proxy.conf;
            proxy_next_upstream error timeout http_502 http_503;
        }}
    }}
}}
"""


class Node:
    """One app node: `guanjia serve_prod` in a working folder of its own."""

    def __init__(self, name: str, env: dict[str, str], work: Path) -> None:
        self.name, self.work = name, work
        self.work.mkdir(parents=True, exist_ok=True)
        self.port = prodstack.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **env,
            "GUANJIA_VAR_DIR": str(work),
            "GUANJIA_PRIVATE_ROOT": str(work / "private"),
        }
        self.log = work / "serve.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(  # noqa: S603
                [prodstack.GUANJIA, "serve_prod", "--port", str(self.port), "--web-workers", "2",
                 "--threads", "2", "--task-workers", "1"],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def wait(self, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=3).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{self.name} did not start; see {self.log}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def private_files(self) -> list[Path]:
        return [p for p in (self.work / "private").rglob("*") if p.is_file()]


def start_nginx(work: Path, port: int, nodes: list[Node]) -> subprocess.Popen[bytes]:
    conf = work / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            user="user root;" if os.geteuid() == 0 else "",
            work=work,
            port=port,
            root=ROOT,
            port1=nodes[0].port,
            port2=nodes[1].port,
        )  # fmt: skip
    )
    (work / "nginx-error.log").touch()
    proc = subprocess.Popen(  # noqa: S603
        [NGINX, "-p", str(work), "-c", str(conf), "-e", str(work / "nginx-error.log"),
         "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=3)
            return proc
        except requests.RequestException:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("nginx did not start")


def session_for(env: dict[str, str]) -> requests.Session:
    auth = prodstack.logins(env, ["admin"], 1)
    session = requests.Session()
    session.cookies.set(auth["cookie"], auth["sessions"][0][1])
    return session


def csrf(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=30)
    page.raise_for_status()
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert found, f"no CSRF token on {url}"
    return found.group(1)


def upload_policy_document(session: requests.Session, node: Node) -> int:
    """A policy with one document, made through node's pages; the document's id."""
    token = csrf(session, f"{node.url}/policies/new/")
    title = f"双节点演练政策 {time.time_ns()}"
    response = session.post(
        f"{node.url}/policies/new/",
        data={"csrfmiddlewaretoken": token, "title": title, "issuer": "锦州市发改委",
              "combine": "all", "active": "on"},
        files={"documents": ("申报指南.pdf", PDF, "application/pdf")},
        headers={"Referer": f"{node.url}/policies/new/"},
        allow_redirects=False, timeout=60,
    )  # fmt: skip
    assert response.status_code == 302, (response.status_code, response.text[:2000])
    found = prodstack.shell(
        "import json\nfrom guanjia.policies.models import PolicyDocument\n"
        f"print(json.dumps(PolicyDocument.objects.filter(policy__title={title!r}).get().pk))",
        node.env,
    )
    return int(found)


REPORT = """
import json, datetime as dt
from django.conf import settings
from guanjia.accounts.models import User
from guanjia.regions.models import Region
from guanjia.reports import services
from guanjia.reports.models import Report
city = Region.objects.get(code=settings.GUANJIA_CITY_CODE)
Report.objects.filter(kind="weekly", period_start__lte=dt.date(2023, 3, 22),
                      period_end__gte=dt.date(2023, 3, 22), region=city).delete()
report, queued = services.request_report(User.objects.get(username="admin"), "weekly",
                                         dt.date(2023, 3, 22), city)
print(json.dumps(report.pk))
"""

STATUS = """
import json
from guanjia.reports.models import Report
r = Report.objects.get(pk={pk})
print(json.dumps([r.status, r.error]))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fresh", action="store_true", help="rebuild the drill's database")
    args = parser.parse_args()
    work = ROOT / "var" / "drill-nodes"
    work.mkdir(parents=True, exist_ok=True)
    results: list[tuple[str, bool, str]] = []

    def verdict(what: str, ok: bool, detail: str = "") -> None:
        results.append((what, ok, detail))
        print(f"{'PASS' if ok else 'FAIL'}  {what}{f'  ({detail})' if detail else ''}", flush=True)

    store = SeaweedFS(free_base_port(), work / "seaweedfs")
    print(f"SeaweedFS on {store.endpoint} ...", flush=True)
    store.start()
    nodes: list[Node] = []
    proxy: subprocess.Popen[bytes] | None = None
    try:
        env = prodstack.environment(DATABASE, REDIS_DBS, work)
        env.update(store.env(prefix="drill"), GUANJIA_PROXY_COUNT="1",
                   FORWARDED_ALLOW_IPS="127.0.0.1", ALLOWED_HOSTS="127.0.0.1,localhost")  # fmt: skip
        print(f"PostgreSQL database {DATABASE}: migrate and the demo ...", flush=True)
        prodstack.prepare(env, fresh=args.fresh)
        prodstack.flush_redis(env)
        nodes = [Node(f"node{i}", env, work / f"node{i}") for i in (1, 2)]
        for node in nodes:
            node.start()
        for node in nodes:
            node.wait()
        port = prodstack.free_port()
        proxy = start_nginx(work, port, nodes)
        front = f"http://127.0.0.1:{port}"
        print(f"node1 {nodes[0].url}, node2 {nodes[1].url}, nginx {front}", flush=True)

        # 1. Each node is ready, its storage check passing against the bucket.
        for node in nodes:
            got = requests.get(f"{node.url}/readyz", timeout=30)
            body = got.json()
            verdict(f"{node.name} /readyz", got.status_code == 200 and body.get("storage") == "ok",
                    f"{got.status_code} {body}")  # fmt: skip

        # 2. One session, both nodes: nginx spreads a user's pages over them.
        session = session_for(env)
        access_log = work / "nginx-access.log"
        before = access_log.read_text().count("\n") if access_log.exists() else 0
        codes = [session.get(f"{front}/projects/", timeout=30).status_code for _ in range(20)]
        time.sleep(0.5)
        served = access_log.read_text().splitlines()[before:]
        by_node = {node.name: sum(f":{node.port} " in line for line in served) for node in nodes}
        verdict("one session served by both nodes through nginx",
                set(codes) == {200} and all(by_node.values()), f"{codes.count(200)}/20 OK, {by_node}")  # fmt: skip

        # 3. A file uploaded to node 1 comes back from node 2; it lives in the bucket only.
        doc = upload_policy_document(session, nodes[0])
        got = session.get(f"{nodes[1].url}/policies/documents/{doc}/", timeout=30)
        verdict("a document uploaded to node1 is downloaded from node2",
                got.status_code == 200 and got.content == PDF, f"{got.status_code}, {len(got.content)} bytes")  # fmt: skip
        local = nodes[0].private_files() + nodes[1].private_files()
        verdict("no private file on either node's disk", not local, ", ".join(map(str, local[:3])))
        anonymous = f"{store.endpoint}/{BUCKET}?list-type=2"
        try:
            urllib.request.urlopen(anonymous, timeout=5)  # noqa: S310 (loopback)
            refused = 200
        except urllib.error.HTTPError as exc:
            refused = exc.code
        verdict("the bucket refuses an anonymous listing", refused == 403, str(refused))

        # 4. A report asked for on node 2, drawn by a worker, downloaded from node 1 and nginx.
        pk = int(prodstack.shell(REPORT, nodes[1].env))
        status, error = "queued", ""
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and status in ("queued", "running"):
            time.sleep(1)
            status, error = prodstack.shell(STATUS.format(pk=pk), nodes[0].env)
        pdfs = [
            session.get(f"{url}/reports/{pk}/pdf/", timeout=60) for url in (nodes[0].url, front)
        ]
        verdict("a report drawn by a worker is downloaded from node1 and through nginx",
                status == "done" and all(r.status_code == 200 and r.content[:4] == b"%PDF" for r in pdfs)
                and pdfs[0].content == pdfs[1].content,
                f"{status} {error[:200]}; {[r.status_code for r in pdfs]}")  # fmt: skip

        # 5. Node 1 stops: nginx serves everything from node 2.
        nodes[0].stop()
        codes = [session.get(f"{front}/projects/", timeout=30).status_code for _ in range(20)]
        doc_again = session.get(f"{front}/policies/documents/{doc}/", timeout=30)
        verdict("node1 stopped: every request served by node2, no 5xx",
                set(codes) == {200} and doc_again.content == PDF,
                f"{codes.count(200)}/20 OK, document {doc_again.status_code}")  # fmt: skip
    finally:
        if proxy is not None:
            proxy.terminate()
            proxy.wait(timeout=20)
        for node in nodes:
            node.stop()
        store.stop()
    failed = [what for what, ok, _ in results if not ok]
    print(f"\n{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
