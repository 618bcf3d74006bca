"""`make run` and `make test` on a fresh machine: deploy/system-deps.sh finds what is missing
and installs it when it may, or stops at once with the one command to run.

The script runs for real, with a PATH of its own: a temporary directory holding the real
`grep` and fakes of what it asks the machine (`id`, `sudo`, `apt-get`, `fc-list`, `ldconfig`,
`chromium`, `nginx`). The fake apt-get writes down its arguments and "installs" a package by
putting its fake in place, so nothing on this machine is installed or removed.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "deploy" / "system-deps.sh"
BASH = shutil.which("bash") or "/bin/bash"

# A fake per package: the file it puts on PATH, and that file's text.
FAKES = {
    "chromium": ("chromium", "#!/bin/sh\nexit 0\n"),
    "nginx": ("nginx", "#!/bin/sh\nexit 0\n"),
    "fonts-noto-cjk": (
        "fc-list",
        "#!/bin/sh\necho '/usr/share/fonts/NotoSansCJK-Regular.ttc: Noto Sans CJK SC:style=Regular'\n",
    ),
    # ldconfig -p lists what the library fakes in lib/ say
    "libpango-1.0-0": ("lib/libpango-1.0.so.0", ""),
    "libpangoft2-1.0-0": ("lib/libpangoft2-1.0.so.0", ""),
}
LDCONFIG = """#!/bin/sh
for f in "$(dirname "$0")"/lib/*; do [ -e "$f" ] && echo "	$(basename "$f") (libc6,x86-64) => $f"; done
exit 0
"""
APT_GET = """#!/bin/sh
echo "apt-get $*" >> "$(dirname "$0")/apt.log"
[ "$1" = install ] || exit 0
bin="$(dirname "$0")"
for p in "$@"; do
  case "$p" in -*|install) continue ;; esac
  [ -n "$NOTHING_INSTALLS" ] && continue
  cp "$bin/available/$p" "$bin/$(cat "$bin/available/$p.path")"
  chmod +x "$bin/$(cat "$bin/available/$p.path")"
done
"""


def machine(tmp_path: Path, has: set[str], *, uid: int, sudo: bool, apt: bool = True) -> Path:
    """A bin directory standing for a machine with the packages `has`."""
    bin_dir = tmp_path / "bin"
    (bin_dir / "lib").mkdir(parents=True)
    (bin_dir / "available").mkdir()
    for tool in ("grep", "dirname", "basename", "cat", "cp", "chmod"):
        (bin_dir / tool).symlink_to(shutil.which(tool))

    def put(name: str, text: str) -> None:
        path = bin_dir / name
        path.write_text(text)
        path.chmod(0o755)

    for package, (path, text) in FAKES.items():
        (bin_dir / "available" / package).write_text(text)
        (bin_dir / "available" / f"{package}.path").write_text(path)
        if package in has:
            put(path, text)
    put("ldconfig", LDCONFIG)
    put("id", f"#!/bin/sh\necho {uid}\n")
    if sudo:  # sudo -n without a password: runs the command
        put(
            "sudo",
            '#!/bin/sh\n[ "$1" = -n ] && shift\necho "sudo $*" >> "$(dirname "$0")/apt.log"\n"$@"\n',
        )
    else:  # a password would be needed: -n refuses
        put("sudo", "#!/bin/sh\necho 'sudo: a password is required' >&2\nexit 1\n")
    if apt:
        put("apt-get", APT_GET)
    return bin_dir


def run(bin_dir: Path, mode: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (our own script, fixed arguments)
        [BASH, str(SCRIPT), mode],
        env={"PATH": str(bin_dir), "GUANJIA_SYSTEM_DEPS_PATH_ONLY": "1", **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


def apt_log(bin_dir: Path) -> list[str]:
    log = bin_dir / "apt.log"
    return log.read_text().splitlines() if log.exists() else []


ALL = set(FAKES)
SERVING = {"fonts-noto-cjk", "libpango-1.0-0", "libpangoft2-1.0-0"}

# (what the machine has, uid, passwordless sudo, mode) → (exit status, packages installed or
# named in the command to run; None: nothing said, nothing installed)
CASES = {
    "all there: silent, nothing installed": (ALL, 1000, False, "test", 0, None),
    "make run needs no Chromium or nginx": (SERVING, 1000, False, "run", 0, None),
    "make test without Chromium, no right to install: stop with the command": (
        ALL - {"chromium"}, 1000, False, "test", 1, ["chromium"],
    ),
    "make run without the font, no right to install: stop with the command": (
        ALL - {"fonts-noto-cjk"}, 1000, False, "run", 1, ["fonts-noto-cjk"],
    ),
    "root installs what is missing": (
        {"libpango-1.0-0"}, 0, False, "test", 0,
        ["fonts-noto-cjk", "libpangoft2-1.0-0", "chromium", "nginx"],
    ),
    "sudo without a password installs what is missing": (
        ALL - {"nginx", "libpango-1.0-0"}, 1000, True, "test", 0, ["libpango-1.0-0", "nginx"],
    ),
    "make run as root installs the font only, not Chromium": (
        ALL - {"fonts-noto-cjk", "chromium"}, 0, False, "run", 0, ["fonts-noto-cjk"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_what_the_script_decides(tmp_path, case):
    has, uid, sudo, mode, status, packages = CASES[case]
    bin_dir = machine(tmp_path, has, uid=uid, sudo=sudo)
    result = run(bin_dir, mode)
    assert result.returncode == status, result.stderr
    log = apt_log(bin_dir)
    if packages is None:
        assert (result.stdout, result.stderr, log) == ("", "", [])
    elif status == 1:
        # Stopped at once: nothing installed, and the one command says exactly what to install.
        assert log == []
        command = f"sudo sh -c 'apt-get update && apt-get install -y {' '.join(packages)}'"
        assert command in result.stderr
    else:
        installs = [line for line in log if line.startswith("apt-get install")]
        assert installs == [f"apt-get install -y -qq {' '.join(packages)}"]
        assert "apt-get update -qq" in log
        if sudo:
            assert f"sudo apt-get install -y -qq {' '.join(packages)}" in log
        assert run(bin_dir, mode).returncode == 0  # and now nothing is missing


def test_without_apt_get_it_stops_with_the_command(tmp_path):
    bin_dir = machine(tmp_path, ALL - {"chromium"}, uid=0, sudo=False, apt=False)
    result = run(bin_dir, "test")
    assert result.returncode == 1
    assert "apt-get install -y chromium" in result.stderr


def test_an_install_that_does_not_provide_the_package_fails(tmp_path):
    bin_dir = machine(tmp_path, ALL - {"chromium"}, uid=0, sudo=False)
    result = run(bin_dir, "test", NOTHING_INSTALLS="1")
    assert result.returncode == 1
    assert "Still missing after apt-get: chromium" in result.stderr


def test_the_check_can_be_skipped_and_a_wrong_mode_is_refused(tmp_path):
    bin_dir = machine(tmp_path, set(), uid=1000, sudo=False)
    assert run(bin_dir, "test", GUANJIA_SKIP_SYSTEM_DEPS="1").returncode == 0
    assert run(bin_dir, "serve").returncode == 2


def test_make_and_ci_call_the_script_first():
    """`make run` and `make test` check the system before anything else; CI uses the same."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    # Under `make test` this runs as a sub-make: without the parent's variables it plans as a
    # person's `make` would, and prints no "Entering directory" lines.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    for target, mode in (("run", "run"), ("test", "test"), ("test-pg", "test")):
        plan = subprocess.run(  # noqa: S603 (make, fixed arguments)
            [make, "--no-print-directory", "-n", target],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout.splitlines()
        assert plan[0] == f"deploy/system-deps.sh {mode}", (target, plan[:3])
    ci = (ROOT / ".ci" / "run").read_text()
    assert "deploy/system-deps.sh test" in ci
    assert "apt-get install" not in ci


# --- The same prerequisites as Django system checks (guanjia/core/checks.py) ----------------------


def guanjia_check(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`guanjia check` in a fresh process, as an admin would run it before a start."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUANJIA_"))}
    base.update(
        GUANJIA_VAR_DIR=str(tmp_path / "var"),
        GUANJIA_PRIVATE_ROOT=str(tmp_path / "private"),
        DJANGO_SETTINGS_MODULE="guanjia.settings",
    )
    base.update(env)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "guanjia", "check", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_passes_with_the_font_the_libraries_and_a_writable_store(tmp_path):
    done = guanjia_check(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_without_a_chinese_font_check_and_check_deploy_stop_with_an_error(tmp_path):
    # A PATH without fc-list: fontconfig cannot say that a Chinese font is there.
    no_fonts = tmp_path / "bin"
    no_fonts.mkdir()
    for args in ((), ("--deploy",)):
        done = guanjia_check(tmp_path, *args, PATH=str(no_fonts))
        assert done.returncode == 1, done.stdout + done.stderr
        assert "guanjia.E001" in done.stderr and "fonts-noto-cjk" in done.stderr


def test_a_private_store_that_takes_no_file_stops_the_start(tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the store's folder should be")
    done = guanjia_check(tmp_path, GUANJIA_PRIVATE_ROOT=str(blocked))
    assert done.returncode == 1
    assert "guanjia.E003" in done.stderr and str(blocked) in done.stderr


def test_missing_weasyprint_libraries_are_an_error(monkeypatch):
    from guanjia.core import checks, health

    monkeypatch.setattr(health, "_fonts", (1e12, True))
    assert checks.font_error() == [] and checks.library_error() == []
    real = checks._loads
    monkeypatch.setattr(checks, "_loads", lambda names: "pango" not in names[0] and real(names))
    [error] = checks.library_error()
    assert error.id == "guanjia.E002" and "Pango, PangoFT2" in error.msg
    assert error.is_serious()


@pytest.mark.django_db
def test_a_report_is_never_drawn_without_its_font(monkeypatch, settings, tmp_path, regions):
    import datetime as dt

    from guanjia.core import health
    from guanjia.reports import services
    from guanjia.reports.models import Report, ReportStatus

    settings.GUANJIA_PRIVATE_ROOT = tmp_path
    monkeypatch.setattr(health, "_fonts", (1e12, False))  # fontconfig found no Chinese font
    report = Report.objects.create(
        kind="weekly", period_start=dt.date(2023, 3, 20), period_end=dt.date(2023, 3, 26)
    )
    services.generate(report.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert "FontMissing" in report.error and "fonts-noto-cjk" in report.error
    assert not report.pdf and not any(tmp_path.rglob("*.pdf"))
