"""The Modal app that runs the sync of one version next to the volumes.

`modal run -m gnosis_assets.remote.modal_app` starts `main` on the machine that runs it; Dagster
runs that command through its Pipes subprocess client when GNOSIS_EXECUTION=modal. `main`
opens the Pipes session and calls `sync_version` on Modal, which mounts both volumes under
/volumes and reads the AWS credentials from a Modal secret.

Importing this module needs no Modal credentials: `from_name` lookups resolve only when the
app runs.
"""

import os
from typing import Any

import modal

from gnosis_assets.remote.entrypoint import execute_request, run_session

MOUNT_ROOT = "/volumes"
DATASETS_VOLUME = os.environ.get("GNOSIS_DATASETS_VOLUME") or "veridica-datasets"
MODELS_VOLUME = os.environ.get("GNOSIS_MODELS_VOLUME") or "veridica-models"
AWS_SECRET = os.environ.get("GNOSIS_MODAL_AWS_SECRET") or "gnosis-aws"
MODAL_ENVIRONMENT = os.environ.get("MODAL_ENVIRONMENT") or None
SYNC_TIMEOUT_SECONDS = 6 * 60 * 60  # a large version streams gigabytes to S3

image = (
    modal.Image.debian_slim(python_version="3.11")
    .pip_install(
        "dagster-pipes>=1.13,<1.14",
        "dagster>=1.13,<1.14",
        "dagster-aws>=0.29,<0.30",
        "boto3>=1.35",
        "pymongo>=4.10,<5",
        "pandas>=2.2",
        "pyyaml>=6",
        "rdkit>=2024.3",
        "numpy>=1.26",
        "modal>=1.6,<2",
    )
    .env(
        {
            "GNOSIS_VOLUMES": MOUNT_ROOT,
            "GNOSIS_HOME": "/root/gnosis",
            "GNOSIS_DATASETS_VOLUME": DATASETS_VOLUME,
            "GNOSIS_MODELS_VOLUME": MODELS_VOLUME,
        }
    )
    .add_local_python_source("gnosis_assets")
)

app = modal.App("gnosis-sync", image=image)

volumes = {
    f"{MOUNT_ROOT}/{DATASETS_VOLUME}": modal.Volume.from_name(
        DATASETS_VOLUME, environment_name=MODAL_ENVIRONMENT
    ),
    f"{MOUNT_ROOT}/{MODELS_VOLUME}": modal.Volume.from_name(
        MODELS_VOLUME, environment_name=MODAL_ENVIRONMENT
    ),
}


@app.function(
    volumes=volumes,  # type: ignore[arg-type]
    secrets=[modal.Secret.from_name(AWS_SECRET, environment_name=MODAL_ENVIRONMENT)],
    timeout=SYNC_TIMEOUT_SECONDS,
)
def sync_version(request: dict[str, Any]) -> dict[str, Any]:
    """Sync one version from the mounted volumes to the store named in the request."""
    # NOTE: the hash cache lives in the container, so every call re-reads each file once.
    return execute_request(request)


def _remote_executor(request: dict[str, Any]) -> dict[str, Any]:
    store = request.get("store") or ""
    if not store.startswith("s3://"):
        raise ValueError(
            f"GNOSIS_STORE={store!r} is not an s3:// URI; a Modal container cannot write to a "
            "local folder store. Set GNOSIS_STORE=s3://<bucket>[/<prefix>]."
        )
    return sync_version.remote(request)


@app.local_entrypoint()
def main() -> None:
    run_session(_remote_executor)
