"""Files written whole or not at all: a new file beside the target, renamed over it.

A reader never sees a half-written file, an error leaves the target as it was, and the
rename replaces a link that stands at the target (symbolic or hard) rather than writing
through it. The new file is created with mode ``0o666`` and the operating system applies
the umask, so it gets the mode a plain write gives (and a file it replaces keeps its own
mode); ``tempfile.mkstemp`` makes a private ``0o600`` file, and reading the umask means
setting it, which races with other threads.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from typing import Any

_ATTEMPTS = 100  # names tried before giving up; each is 32 random bits


def _new_file_beside(target: Path, suffix: str) -> tuple[int, Path]:
    """A new empty file in ``target``'s folder, open for writing, and its path."""
    for _ in range(_ATTEMPTS):
        path = target.parent / f".{target.name}.{secrets.token_hex(4)}{suffix}"
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666), path
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {str(target)!r} after {_ATTEMPTS} tries")


class atomic_path:
    """A new file beside ``target``, renamed onto it when the ``with`` block succeeds.

    On an error (or an interrupt) the new file is removed and ``target`` is left as it was,
    so no reader ever sees a half-written file.

    Parameters
    ----------
    target : Path
        The file to write; its folder must exist.
    suffix : str
        The end of the temporary file's name.
    """

    def __init__(self, target: Path, suffix: str = ".part") -> None:
        self.target = Path(target)
        self.suffix = suffix

    def __enter__(self) -> Path:
        if not self.target.parent.is_dir():
            raise FileNotFoundError(f"the folder of {str(self.target)!r} does not exist")
        handle, self.temporary = _new_file_beside(self.target, self.suffix)
        os.close(handle)
        return self.temporary

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if kind is None:
            _keep_mode(self.target, self.temporary)
            os.replace(self.temporary, self.target)
        else:
            self.temporary.unlink(missing_ok=True)


def _keep_mode(target: Path, temporary: Path) -> None:
    """Give ``temporary`` the mode of the regular file it replaces, as a plain write over
    it would keep it (a model saved 0600 stays private); a new file keeps the umask's."""
    try:
        status = os.stat(target, follow_symlinks=False)
    except FileNotFoundError:
        return
    if stat.S_ISREG(status.st_mode):
        os.chmod(temporary, stat.S_IMODE(status.st_mode))


def replace_with(target: Path, data: bytes) -> None:
    """Write ``data`` to a new file beside ``target`` and rename it over ``target``."""
    with atomic_path(target, ".partial") as temporary:
        temporary.write_bytes(data)
