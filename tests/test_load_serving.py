"""The load script's quick mode: a real geo-kttt serve (waitress), exports and a rebuild."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT


def test_quick_load_has_no_errors_and_no_mixed_or_stale_answers(data_dir):
    env = {**os.environ, "GEO_KTTT_DATA_DIR": str(data_dir)}
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "load_serving.py"), "--quick"],
                         capture_output=True, text=True, env=env, timeout=180)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "errors: 0" in out.stdout and "mixed answers: 0" in out.stdout and " 0 stale" in out.stdout
    assert out.stdout.rstrip().endswith("OK")
