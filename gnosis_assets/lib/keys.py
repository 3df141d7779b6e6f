"""Validation of the relative paths that object keys are built from."""

import unicodedata

MAX_KEY_BYTES = 1024  # S3's limit for an object key


class InvalidPathError(ValueError):
    """A volume path that cannot become part of an object key."""


def validate_relative_path(path: str, *, where: str) -> str:
    """Return `path` unchanged if it is a safe, normalized relative path, else raise.

    `where` names the volume or dataset in the error message. A safe path has no leading `/`,
    no empty, `.` or `..` segments, no backslash and no control characters, so it can never
    escape its prefix in the store.
    """
    problem = _path_problem(path)
    if problem:
        raise InvalidPathError(
            f"{where}: invalid file path {path!r}: {problem}. Rename the file on the volume "
            "to a plain relative name (letters, digits, '-', '_', '.', '/')."
        )
    return path


def _path_problem(path: str) -> str | None:
    if not path:
        return "the path is empty"
    if path.startswith("/"):
        return "it starts with '/'"
    if "\\" in path:
        return "it contains a backslash"
    if any(unicodedata.category(char) == "Cc" for char in path):
        return "it contains a control character"
    segments = path.split("/")
    if any(segment in ("", ".", "..") for segment in segments):
        return "it has an empty, '.' or '..' segment"
    if len(path.encode("utf-8")) > MAX_KEY_BYTES:
        return f"it is longer than {MAX_KEY_BYTES} bytes in UTF-8"
    return None


def find_normalization_collisions(paths: list[str]) -> list[tuple[str, str]]:
    """Return pairs of distinct paths that are equal after Unicode NFC normalization.

    Such names look identical to people and to some file systems, so publishing both would let
    one silently stand in for the other.
    """
    first_by_form: dict[str, str] = {}
    collisions = []
    for path in sorted(paths):
        form = unicodedata.normalize("NFC", path)
        if form in first_by_form and first_by_form[form] != path:
            collisions.append((first_by_form[form], path))
        else:
            first_by_form.setdefault(form, path)
    return collisions
