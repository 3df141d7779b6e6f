"""The one exception type of the split library."""


class SplitError(ValueError):
    """Invalid split configuration or input that cannot be split as configured.

    The message names the file, column or config field, the offending values with their line
    numbers, and what to change.
    """
