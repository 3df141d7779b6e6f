"""Short human summaries of a sync report and a verify report."""

from typing import Any

from gnosis_assets.settings import SYNC_REPORTS_PREFIX, Settings
from gnosis_assets.verify import VerifyReport

MIB = 1024 * 1024


def format_sync_summary(report: dict[str, Any], settings: Settings) -> str:
    totals = report["totals"]
    lines = [
        f"gnosis sync {report['report_id']}: {report['status'].upper()} -> {report['store']}",
        f"  {totals['files']} curated, split and model files, "
        f"{totals['bytes_total'] / MIB:.1f} MiB; uploaded "
        f"{totals['files_uploaded']} files ({totals['bytes_uploaded'] / MIB:.1f} MiB), "
        f"unchanged {totals['files_unchanged']}, trusted from cache "
        f"{totals['files_trusted_from_cache']}, retries {totals['retries']}",
    ]
    for entry in report["datasets"]:
        name = f"{entry['source']}/{entry['version']}"
        lines.append(_line(entry, name, entry.get("content_hash")))
    for entry in report.get("splits", []):
        name = f"{entry['source']}/{entry['version']} splits"
        lines.append(_line(entry, name, None))
    for entry in report["models"]:
        lines.append(_line(entry, f"{entry['model']}/{entry['version']}", None))
    for warning in report.get("warnings", []):
        lines.append(f"  warning: {warning}")
    lines.append(f"  report: {SYNC_REPORTS_PREFIX}/{report['report_id']}_sync_report.json")
    return "\n".join(lines)


def _line(entry: dict[str, Any], name: str, digest: str | None) -> str:
    if entry["status"] == "failed":
        return f"  FAILED  {name}: {entry.get('error')}"
    outcome = entry.get("outcome", "ok")
    suffix = f"  content {digest[:12]}" if digest else ""
    count = len(entry.get("files", []))
    files = f"{count} file" if count == 1 else f"{count} files"
    return f"  ok      {name:<34} {outcome:<10} {files}{suffix}"


_MODES = {
    "download": "every byte downloaded and re-hashed",
    "remote-checksum": "compared with the checksums the store keeps",
}


def format_verify_summary(report: VerifyReport) -> str:
    document = report.to_dict()
    status = "OK" if report.ok else "FAILED"
    lines = [
        f"gnosis verify: {status} {report.store} ({_MODES[report.mode]})",
        f"  {report.objects_checked} objects (listed files and metadata.json), "
        f"{report.bytes_checked / MIB:.1f} MiB re-hashed; "
        f"missing {document['missing']}, mismatched {document['mismatched']}, "
        f"extra {document['extra']}",
    ]
    for problem in report.problems:
        owner = f" [{problem.dataset}]" if problem.dataset else ""
        lines.append(f"  {problem.kind:<8} {problem.key}{owner}: {problem.detail}")
    return "\n".join(lines)
