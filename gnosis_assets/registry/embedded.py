"""Start, or reuse, the local SecantusDB server that replaces MongoDB by default.

One server per state folder serves every process (Dagster runs, the CLI, the API), because its
WiredTiger files can be opened by one process only. The server's address is written to
`server.json` beside its data; a file lock keeps two processes from starting two servers.
"""

import contextlib
import fcntl
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pymongo
from pymongo.errors import PyMongoError

log = logging.getLogger(__name__)

START_TIMEOUT_S = 30.0


def _ping(uri: str, timeout_ms: int = 1000) -> bool:
    client: pymongo.MongoClient = pymongo.MongoClient(
        uri, serverSelectionTimeoutMS=timeout_ms, directConnection=True
    )
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_command() -> list[str]:
    executable = Path(sys.executable).with_name("secantusd-py")
    if executable.exists():
        return [str(executable)]
    found = shutil.which("secantusd-py")
    if found:
        return [found]
    return [sys.executable, "-m", "secantus"]


def ensure_embedded_server(folder: Path) -> str:
    """Return the URI of the state folder's SecantusDB server, starting it if needed."""
    folder.mkdir(parents=True, exist_ok=True)
    info_path = folder / "server.json"
    with (folder / "server.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        uri = _running_uri(info_path)
        if uri:
            return uri
        return _start(folder, info_path)


def _process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _running_uri(info_path: Path) -> str | None:
    """Return the URI of the recorded server if it is running, else None.

    A recorded server whose process is alive but slow to respond (a busy machine) is waited
    for instead of replaced, because two servers over one data folder would corrupt it.
    """
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    uri = str(info.get("uri", ""))
    if not uri:
        return None
    if not _process_alive(int(info.get("pid", 0))):
        return uri if _ping(uri) else None
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if _ping(uri, timeout_ms=2000):
            return uri
        if not _process_alive(int(info.get("pid", 0))):
            return None
    raise RuntimeError(
        f"the embedded SecantusDB server (pid {info.get('pid')}) is running but did not respond "
        f"at {uri} within {START_TIMEOUT_S:.0f} s; stop it with `gnosis registry-server stop` "
        f"or see {info_path.parent / 'server.log'}"
    )


def _start(folder: Path, info_path: Path) -> str:
    port = _free_port()
    uri = f"mongodb://127.0.0.1:{port}/?directConnection=true"
    data = folder / "data"
    data.mkdir(exist_ok=True)
    log_path = folder / "server.log"
    command = [
        *_server_command(),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--storage-path",
        str(data),
        "--log-level",
        "WARNING",
    ]
    log.info("starting the embedded SecantusDB server on 127.0.0.1:%d over %s", port, data)
    with log_path.open("ab") as output:
        process = subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # outlives the command that started it, for later commands
            cwd=folder,
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the embedded SecantusDB server exited with status {process.returncode}; "
                f"see {log_path}. Set MONGODB_URI to use another MongoDB server."
            )
        if _ping(uri, timeout_ms=300):
            info_path.write_text(
                json.dumps({"uri": uri, "pid": process.pid, "port": port}), encoding="utf-8"
            )
            return uri
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(
        f"the embedded SecantusDB server did not respond within {START_TIMEOUT_S:.0f} s; "
        f"see {log_path}"
    )


def stop_embedded_server(folder: Path) -> bool:
    """Stop the state folder's server if it runs; return whether one was stopped."""
    info_path = folder / "server.json"
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return False
    pid = int(info.get("pid", 0))
    if pid <= 0:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, 15)
        for _ in range(50):
            os.kill(pid, 0)
            time.sleep(0.1)
    info_path.unlink(missing_ok=True)
    return True
