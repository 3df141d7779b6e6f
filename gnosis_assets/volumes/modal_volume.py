"""A volume read through the Modal client, from outside Modal."""

import logging
from collections.abc import Callable, Iterator
from typing import Any

from gnosis_assets.volumes.base import FileEntry, FileEntryType, VolumeError

log = logging.getLogger(__name__)

SETUP_HINT = (
    "Check the credentials with `modal token new` (or MODAL_TOKEN_ID and MODAL_TOKEN_SECRET) and "
    "the volume name with `modal volume list`."
)


def _default_loader(name: str, environment: str | None) -> Any:
    import modal

    return modal.Volume.from_name(name, environment_name=environment)


class ModalVolume:
    """A Modal volume by name, listed with `iterdir` and read with `read_file`.

    `loader` builds the `modal.Volume`-like object; tests pass a stand-in with the same methods.
    """

    def __init__(
        self,
        name: str,
        *,
        environment: str | None = None,
        loader: Callable[[str, str | None], Any] = _default_loader,
    ) -> None:
        self.name = name
        self.environment = environment
        self._loader = loader
        self._volume: Any = None

    def describe(self) -> str:
        suffix = f" (environment {self.environment})" if self.environment else ""
        return f"modal volume {self.name}{suffix}"

    def _client(self) -> Any:
        if self._volume is None:
            try:
                self._volume = self._loader(self.name, self.environment)
            except Exception as error:
                raise self._error("cannot open the volume", error) from error
        return self._volume

    def _error(self, action: str, error: BaseException) -> VolumeError:
        kind = type(error).__name__
        if kind in ("NotFoundError", "FileNotFoundError"):
            detail = "the volume or path was not found"
        elif kind in ("AuthError", "PermissionError"):
            detail = "the Modal credentials are missing or were rejected"
        elif isinstance(error, TimeoutError) or "Timeout" in kind:
            detail = "the request timed out"
        else:
            detail = f"{kind}: {error}"
        return VolumeError(f"modal volume {self.name!r}: {action}: {detail}. {SETUP_HINT}")

    def iterdir(self, path: str, *, recursive: bool = True) -> Iterator[FileEntry]:
        volume = self._client()
        try:
            for entry in volume.iterdir(path or "/", recursive=recursive):
                yield FileEntry(
                    path=str(entry.path).lstrip("/"),
                    type=FileEntryType(int(entry.type)),
                    mtime=int(entry.mtime),
                    size=int(entry.size),
                )
        except VolumeError:
            raise
        except Exception as error:
            raise self._error(f"listing {path or '/'} failed", error) from error

    def stat(self, path: str) -> FileEntry:
        for entry in self.iterdir(path, recursive=False):
            if entry.path == path:
                return entry
        raise FileNotFoundError(f"modal volume {self.name!r}: {path} not found")

    def read_chunks(self, path: str) -> Iterator[bytes]:
        volume = self._client()
        try:
            yield from volume.read_file(path)
        except Exception as error:
            raise self._error(f"reading {path} failed", error) from error
