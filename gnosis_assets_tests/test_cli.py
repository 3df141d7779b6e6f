"""The `gnosis` command as a user runs it: a subprocess with only environment variables set,
against moto's S3 server and SecantusDB, then against the embedded default."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gnosis_assets.instance import INSTANCE_CONFIG
from gnosis_assets.registry.embedded import stop_embedded_server

REPO = Path(__file__).resolve().parents[1]


def gnosis(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gnosis_assets.cli.main", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_sync_against_s3_and_mongodb_uri(
    tmp_path: Path, volumes: Path, s3_bucket: str, mongodb_uri: str
) -> None:
    env = {
        **os.environ,
        "GNOSIS_HOME": str(tmp_path / "home"),
        "GNOSIS_VOLUMES": str(volumes),
        "GNOSIS_STORE": f"s3://{s3_bucket}/prod",
    }
    synced = gnosis("sync", "--json", "--log-level", "WARNING", env=env, cwd=tmp_path)
    stats = gnosis("stats", env=env, cwd=tmp_path)
    verified = gnosis("verify", env=env, cwd=tmp_path)

    assert synced.returncode == 0, synced.stderr[-3000:]
    report = json.loads(synced.stdout)
    assert report["status"] == "ok"
    assert report["store"] == f"s3://{s3_bucket}/prod"
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["datasets_count"] == 3
    assert json.loads(stats.stdout)["models_count"] == 2
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "gnosis verify: OK" in verified.stdout
    assert not (tmp_path / "home" / "mongodb").exists()  # MONGODB_URI was used, not embedded


def test_embedded_default_end_to_end(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GNOSIS_")}
    env.pop("MONGODB_URI", None)
    env.pop("DAGSTER_HOME", None)
    try:
        synced = gnosis("sync", env=env, cwd=tmp_path)
        again = gnosis("sync", "--json", "--log-level", "WARNING", env=env, cwd=tmp_path)
        stats = gnosis("stats", env=env, cwd=tmp_path)
        verified = gnosis("verify", env=env, cwd=tmp_path)
    finally:
        stop_embedded_server(tmp_path / ".gnosis" / "mongodb")

    assert synced.returncode == 0, synced.stderr[-3000:]
    assert "OK ->" in synced.stdout
    assert (tmp_path / ".gnosis" / "s3" / "veridicabatabase" / "datasets").is_dir()
    assert json.loads(again.stdout)["totals"]["bytes_uploaded"] == 0
    document = json.loads(stats.stdout)
    assert document["datasets_count"] == 3
    assert document["models_count"] == 2
    assert verified.returncode == 0


def test_verify_exit_status_on_tampering(tmp_path: Path, volumes: Path, mongodb_uri: str) -> None:
    env = {
        **os.environ,
        "GNOSIS_HOME": str(tmp_path / "home"),
        "GNOSIS_VOLUMES": str(volumes),
        "GNOSIS_STORE": str(tmp_path / "store"),
    }
    assert gnosis("sync", "--log-level", "WARNING", env=env, cwd=tmp_path).returncode == 0
    target = (
        tmp_path / "store" / "datasets" / "gdsc" / "gdsc_v17" / "GDSC1_drug_list_2019-06-24.csv"
    )
    data = bytearray(target.read_bytes())
    data[10] ^= 0x20
    target.write_bytes(bytes(data))

    verified = gnosis("verify", env=env, cwd=tmp_path)
    assert verified.returncode == 1
    assert "mismatch" in verified.stdout
    assert "GDSC1_drug_list_2019-06-24.csv" in verified.stdout


def test_sync_exits_nonzero_when_a_dataset_fails(
    tmp_path: Path, volumes: Path, mongodb_uri: str
) -> None:
    broken = volumes / "veridica-datasets" / "gdsc" / "gdsc_v17" / "IC50_v17.csv.gz"
    broken.write_bytes(broken.read_bytes()[:1000])
    env = {
        **os.environ,
        "GNOSIS_HOME": str(tmp_path / "home"),
        "GNOSIS_VOLUMES": str(volumes),
        "GNOSIS_STORE": str(tmp_path / "store"),
    }
    synced = gnosis("sync", "--log-level", "ERROR", env=env, cwd=tmp_path)
    assert synced.returncode == 1
    assert "FAILED  gdsc/gdsc_v17" in synced.stdout
    assert "IC50_v17.csv.gz" in synced.stdout
    assert "ok      chembl/chembl_27" in synced.stdout


@pytest.mark.parametrize("value", ["0", "-3", "four"])
def test_invalid_workers_setting(tmp_path: Path, value: str) -> None:
    env = {**os.environ, "GNOSIS_WORKERS": value, "GNOSIS_HOME": str(tmp_path)}
    result = gnosis("stats", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "GNOSIS_WORKERS" in result.stderr


def test_instance_config_matches_repo_dagster_yaml() -> None:
    on_disk = yaml.safe_load((REPO / "dagster.yaml").read_text(encoding="utf-8"))
    assert on_disk == INSTANCE_CONFIG
