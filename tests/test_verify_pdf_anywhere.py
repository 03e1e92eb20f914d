"""`portal verify-pdf` from any folder (issue 21, part 5): it finds the instance as the app
does (PORTAL_INSTANCE_PATH, else ./instance), and where there is none it says so and exits 2
without making one. Run as a person runs it: .venv/bin/portal in a subprocess, from a
temporary working directory."""

import shutil
import subprocess
from pathlib import Path

from conftest import gunicorn_environment
from seal_data import sealed_letter

ROOT = Path(__file__).resolve().parent.parent
PORTAL = ROOT / ".venv" / "bin" / "portal"


def run_portal(args, cwd, env):
    return subprocess.run([str(PORTAL), *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120)


def test_verify_pdf_from_another_folder_uses_the_instance_it_is_given(app, database_url,
                                                                       letterhead_practice,
                                                                       practice_p12, tmp_path):
    shutil.copy(practice_p12, Path(app.instance_path) / "seal.p12")
    elsewhere = tmp_path / "downloads"
    elsewhere.mkdir()
    (elsewhere / "consent.pdf").write_bytes(sealed_letter(app)[1])
    env = gunicorn_environment(database_url, app.instance_path, "http://127.0.0.1:5000",
                               two_step_required=False)
    finished = run_portal(["verify-pdf", "consent.pdf"], elsewhere, env)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "Seal: intact, covers the whole file\n" in finished.stdout
    assert "(this practice's seal)" in finished.stdout
    assert not (elsewhere / "instance").exists()


def test_verify_pdf_with_no_instance_says_so_exits_2_and_makes_none(app, database_url,
                                                                    tmp_path):
    elsewhere = tmp_path / "downloads"
    elsewhere.mkdir()
    (elsewhere / "consent.pdf").write_bytes(b"%PDF-1.7\n% not sealed\n")
    env = gunicorn_environment(database_url, app.instance_path, "http://127.0.0.1:5000",
                               two_step_required=False)
    del env["PORTAL_INSTANCE_PATH"]  # so ./instance, which this folder does not have
    finished = run_portal(["verify-pdf", "consent.pdf"], elsewhere, env)
    assert finished.returncode == 2
    assert f"No portal instance at {elsewhere / 'instance'}" in finished.stderr
    assert "PORTAL_INSTANCE_PATH" in finished.stderr
    assert sorted(path.name for path in elsewhere.iterdir()) == ["consent.pdf"]

    env["PORTAL_INSTANCE_PATH"] = str(tmp_path / "gone")  # named, but not there
    finished = run_portal(["verify-pdf", "consent.pdf"], elsewhere, env)
    assert finished.returncode == 2 and f"No portal instance at {tmp_path / 'gone'}" in finished.stderr
    assert not (tmp_path / "gone").exists()
