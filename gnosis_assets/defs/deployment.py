"""Resources per deployment, picked in one place.

Every deployment reads the same environment variables (see the README); what differs is where
they point. With none set, everything runs locally on the sample volumes, a local-folder
store and the embedded SecantusDB server.
"""

from typing import Any

from dagster_aws.s3 import S3Resource

from gnosis_assets.defs.io_manager import ChecksummedIOManager
from gnosis_assets.defs.resources import GnosisResource


def build_resources(full_rescan: bool = False) -> dict[str, Any]:
    # botocore's standard retry mode backs off on throttling and 5xx responses.
    s3 = S3Resource(max_attempts=6)
    gnosis = GnosisResource(s3=s3, full_rescan=full_rescan)
    return {
        "gnosis": gnosis,
        "checksummed_io_manager": ChecksummedIOManager(gnosis=gnosis),
    }
