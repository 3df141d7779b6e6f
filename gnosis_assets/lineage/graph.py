"""The lineage tree of a model version: dataset versions, split sets and files with checksums.

The tree is built from the registry alone. Each dataset version that a model version declares
is looked up and its content hash compared with the one pinned when the model version was
synced. So the tree shows whether the bytes the model saw are still the published ones.
"""

from typing import Any

from gnosis_assets.registry.client import Registry

# Dataset node states, from the worst: the version is not in the registry, it was republished
# with other content since the model version pinned it, or the declared split set is absent.
STATUS_MISSING = "missing"
STATUS_CHANGED = "changed"
STATUS_SPLIT_MISSING = "split_missing"
STATUS_OK = "ok"


class LineageNotFoundError(LookupError):
    """A model version that the registry does not contain."""

    def __init__(self, model: str, version: str) -> None:
        super().__init__(
            f"model version {model}/{version} is not in the registry; list the registered "
            "versions with GET /api/registry/discover/summary or run the model sync first"
        )
        self.model = model
        self.version = version


def lineage_tree(registry: Registry, model: str, version: str) -> dict[str, Any]:
    """Build the lineage tree of one model version; raise LineageNotFoundError if unknown.

    The tree lists the model version's artifacts, then each declared dataset version with
    its curated files and, when the declaration names a split set, that set's files.
    """
    record = registry.model(model, version)
    if record is None:
        raise LineageNotFoundError(model, version)

    artifacts = [
        {
            "key": item["key"],
            "kind": item.get("kind", "artifact"),
            "size": item["size"],
            "sha256": item["sha256"],
            "s3_uri": item.get("s3_uri"),
        }
        for item in registry.artifacts(model, version)
    ]
    datasets = [
        dataset_node(declared, registry.dataset(declared["source"], declared["version"]))
        for declared in record.get("datasets", [])
    ]
    return {
        "model": record["model"],
        "version": record["version"],
        "task": record.get("task"),
        "s3_prefix": record.get("s3_prefix"),
        "synced_at": record.get("synced_at"),
        "artifacts": artifacts,
        "datasets": datasets,
    }


def dataset_node(declared: dict[str, Any], document: dict[str, Any] | None) -> dict[str, Any]:
    """Build the node of one declared dataset version from its registry document, if any."""
    split = declared.get("split")
    pinned = declared.get("content_hash")
    node: dict[str, Any] = {
        "source": declared["source"],
        "version": declared["version"],
        "role": declared.get("role", "train"),
        "split": split,
        "status": STATUS_MISSING,
        "pinned_content_hash": pinned,
        "content_hash": None,
        "s3_prefix": None,
        "metadata_uri": None,
        "metadata_sha256": None,
        "files": [],
        "split_sets": [],
    }
    if document is None:
        return node

    splits = document.get("splits") or {}
    node.update(
        content_hash=document["content_hash"],
        s3_prefix=document.get("s3_prefix"),
        metadata_uri=document.get("metadata_uri"),
        metadata_sha256=document.get("metadata_sha256"),
        files=[_file_entry(item) for item in document.get("files", [])],
    )
    if split and split in splits:
        node["split_sets"] = [_split_set_entry(split, splits[split])]

    if pinned and pinned != document["content_hash"]:
        node["status"] = STATUS_CHANGED
    elif split and split not in splits:
        node["status"] = STATUS_SPLIT_MISSING
    else:
        node["status"] = STATUS_OK
    return node


def _file_entry(item: dict[str, Any]) -> dict[str, Any]:
    entry = {
        "key": item["key"],
        "size": item["size"],
        "sha256": item["sha256"],
        "s3_uri": item.get("s3_uri"),
    }
    for optional in ("split", "rows"):
        if item.get(optional) is not None:
            entry[optional] = item[optional]
    return entry


def _split_set_entry(name: str, split_set: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "strategy": split_set.get("strategy"),
        "seed": split_set.get("seed"),
        "files": [_file_entry(item) for item in split_set.get("files", [])],
    }


def format_lineage_tree(tree: dict[str, Any]) -> str:
    """Render a lineage tree as indented text with box-drawing branches, one file a line."""
    title = f"model {tree['model']}/{tree['version']}"
    if tree.get("task"):
        title += f"  task {tree['task']}"

    artifacts: list[tuple[str, list[Any]]] = [
        (f"{item['kind']}  {item['key']}  {item['size']} B  sha256 {item['sha256']}", [])
        for item in tree["artifacts"]
    ]
    children: list[tuple[str, list[Any]]] = [(f"artifacts ({len(artifacts)})", artifacts)]
    children.extend(_dataset_branch(node) for node in tree["datasets"])

    lines = [title]
    _render(children, "", lines)
    return "\n".join(lines) + "\n"


def _dataset_branch(node: dict[str, Any]) -> tuple[str, list[Any]]:
    label = f"dataset {node['source']}/{node['version']}  role {node['role']}"
    if node.get("split"):
        label += f"  split {node['split']}"
    label += f"  [{node['status']}]"

    children: list[tuple[str, list[Any]]] = []
    if node["status"] == STATUS_MISSING:
        children.append(("not in the registry: sync this dataset version", []))
    else:
        children.append((f"content hash {node['content_hash']}", []))
    if node["status"] == STATUS_CHANGED:
        children.append((f"pinned content hash {node['pinned_content_hash']}", []))
    if node.get("metadata_sha256"):
        children.append((f"metadata.json sha256 {node['metadata_sha256']}", []))

    files: list[tuple[str, list[Any]]] = [(_file_label(item), []) for item in node["files"]]
    if files:
        children.append((f"files ({len(files)})", files))
    for split_set in node["split_sets"]:
        label_parts = [f"split set {split_set['name']}"]
        if split_set.get("strategy"):
            label_parts.append(f"strategy {split_set['strategy']}")
        if split_set.get("seed") is not None:
            label_parts.append(f"seed {split_set['seed']}")
        split_files: list[tuple[str, list[Any]]] = [
            (_file_label(item), []) for item in split_set["files"]
        ]
        children.append(("  ".join(label_parts), split_files))
    return label, children


def _file_label(item: dict[str, Any]) -> str:
    parts = []
    if item.get("split"):
        parts.append(str(item["split"]))
    parts.append(item["key"])
    if item.get("rows") is not None:
        parts.append(f"rows {item['rows']}")
    parts.append(f"{item['size']} B")
    parts.append(f"sha256 {item['sha256']}")
    return "  ".join(parts)


def _render(nodes: list[tuple[str, list[Any]]], indent: str, lines: list[str]) -> None:
    for index, (label, children) in enumerate(nodes):
        last = index == len(nodes) - 1
        lines.append(f"{indent}{'└── ' if last else '├── '}{label}")
        _render(children, indent + ("    " if last else "│   "), lines)
