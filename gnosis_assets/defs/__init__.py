"""Dagster definitions: resources, IO managers, partitions, assets, checks, sensors, schedules."""

import warnings

from dagster import BetaWarning, PreviewWarning

# Data versions on outputs and partitioned asset checks are beta and preview APIs in Dagster
# 1.13; the code location relies on both knowingly, so their warnings would only be noise.
warnings.filterwarnings("ignore", category=BetaWarning)
warnings.filterwarnings("ignore", category=PreviewWarning)
