"""The catalog of sources and models, and discovery of their versions on the volumes."""

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gnosis_assets.settings import PACKAGE_ROOT
from gnosis_assets.volumes.base import VolumeSource, list_children

CATALOG_PATH = PACKAGE_ROOT / "catalog.yaml"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class CatalogError(ValueError):
    """An invalid catalog.yaml entry; the message names the entry and field."""


@dataclass(frozen=True)
class SourceSpec:
    name: str
    description: str = ""
    splits: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str = ""
    datasets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalog:
    sources: dict[str, SourceSpec] = field(default_factory=dict)
    models: dict[str, ModelSpec] = field(default_factory=dict)


def validate_name(value: object, label: str) -> str:
    """Return `value` if it is a usable source, model or version name, else raise ValueError."""
    if not isinstance(value, str) or not NAME_PATTERN.match(value) or ".." in value:
        raise ValueError(
            f"invalid {label} {value!r}: use 1-128 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return value


def load_catalog(path: Path | None = None) -> Catalog:
    """Read and validate the catalog: GNOSIS_CATALOG if set, else the packaged catalog.yaml."""
    if path is None:
        path = Path(os.environ.get("GNOSIS_CATALOG") or CATALOG_PATH)
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    sources = {}
    for name, entry in (document.get("sources") or {}).items():
        entry = entry or {}
        try:
            validate_name(name, "source name")
        except ValueError as error:
            raise CatalogError(f"{path}: sources: {error}") from error
        splits = entry.get("splits") or []
        if not isinstance(splits, list):
            raise CatalogError(f"{path}: sources.{name}.splits must be a list")
        sources[name] = SourceSpec(name, str(entry.get("description", "")), tuple(splits))
    models = {}
    for name, entry in (document.get("models") or {}).items():
        entry = entry or {}
        try:
            validate_name(name, "model name")
        except ValueError as error:
            raise CatalogError(f"{path}: models: {error}") from error
        datasets = tuple(entry.get("datasets") or [])
        unknown = [source for source in datasets if source not in sources]
        if unknown:
            raise CatalogError(
                f"{path}: models.{name}.datasets names unknown sources {unknown}; "
                f"known sources are {sorted(sources)}"
            )
        models[name] = ModelSpec(name, str(entry.get("description", "")), datasets)
    return Catalog(sources=sources, models=models)


def discover_versions(volume: VolumeSource, names: list[str]) -> dict[str, list[str]]:
    """Return the version folders found on the volume under each name, sorted."""
    return {name: list_children(volume, name) for name in names}


def discover_unknown(volume: VolumeSource, known: list[str]) -> list[str]:
    """Return top-level folders on the volume that the catalog does not list."""
    return [name for name in list_children(volume, "") if name not in known and name[:1] != "_"]
