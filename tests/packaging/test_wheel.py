"""The built package is whole: a wheel installed into a fresh virtual environment, outside the
checkout, creates its database and serves pages from its own templates.

The wheel is built from a copy of the project's files (so the checkout gets no build/ or
egg-info), installed with its dependencies by pip into a new venv, and run from an empty
directory with a clean environment: nothing can come from the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.live_server import LiveServer, free_port, stop, wait_until_up

ROOT = Path(__file__).resolve().parents[2]

# The package's contents do not depend on the database: once per `make test`, in the SQLite pass.
pytestmark = pytest.mark.skipif(
    bool(os.environ.get("TEST_DATABASE_URL")), reason="run once, in the SQLite pass"
)


def _project_files() -> list[str]:
    """The files a release is built from: tracked and new (not ignored) ones."""
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("needs a git checkout to know the project's files")
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    return [name for name in listed if (ROOT / name).is_file()]


def _build_wheel(tmp: Path) -> Path:
    source = tmp / "source"
    for name in _project_files():
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    wheels = tmp / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)],
        check=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("mimamori_trainer-*.whl")
    return wheel


def _fresh_venv(tmp: Path, wheel: Path) -> Path:
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
        check=True,
        timeout=600,
    )
    return venv / "bin"


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode("utf-8")


def test_the_wheel_installs_creates_its_database_and_serves_pages(tmp_path):
    wheel = _build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    assert "trainer/templates/base.html" in names
    assert "trainer/templates/learning/signed_out.html" in names
    assert "trainer/migrations/alembic.ini" in names
    assert "trainer/migrations/versions/0001_foundation.py" in names
    assert any(name.startswith("trainer/static/css/") for name in names)

    bin_dir = _fresh_venv(tmp_path, wheel)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(run_dir),
        "DATABASE_URL": f"sqlite:///{run_dir / 'trainer.db'}",
        "RATELIMIT_ENABLED": "0",
    }
    where = subprocess.run(
        [str(bin_dir / "python"), "-c", "import trainer; print(trainer.__file__)"],
        cwd=run_dir,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert where.startswith(str(tmp_path / "venv")), where

    init = subprocess.run(
        [str(bin_dir / "trainer"), "init-db"],
        cwd=run_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert init.returncode == 0, init.stderr[-2000:]
    assert "データベースは最新です" in init.stdout

    port = free_port()
    live = LiveServer(
        base_url=f"http://127.0.0.1:{port}",
        db_url=env["DATABASE_URL"],
        instance_path=run_dir,
        secret_key="",
        log_path=run_dir / "gunicorn.log",
    )
    with live.log_path.open("w") as log:
        server = subprocess.Popen(
            [str(bin_dir / "gunicorn"), "--bind", f"127.0.0.1:{port}", "trainer:create_app()"],
            cwd=run_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(server, live)
            status, body = _get(live.url("/login"))
            assert status == 200
            assert "ログイン" in body
            assert 'name="csrf_token"' in body
        finally:
            stop(server)
