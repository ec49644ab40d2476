"""Folders that hold customers' personal data (databases, queues, mail): created readable by this
user only. The standard library alone: the settings use it, and `make deploy-*` reads the settings
with the system's python3."""
from __future__ import annotations

from pathlib import Path


def private_folder(folder: Path, *, ours: bool = False) -> Path:
    """Gives `folder`; when it is missing, creates it readable by this user only (0700):
    databases, queues and mail under it hold customers' personal data. A folder that exists is
    left as it is (it may be /tmp), unless `ours` (var/, which Huifang owns) makes it 0700 too."""
    folder = Path(folder)
    if not folder.exists():
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        ours = True
    if ours:
        folder.chmod(0o700)
    return folder
