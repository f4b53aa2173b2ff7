"""The one place generated text reaches the disk, and the rules that keep the user's edits safe.

Each file Seamline writes carries `# seamline-hash: <sha256>` in its header: the hash of the file
without that line. On the next write:

- no file, or the file is exactly what Seamline wrote last -> (re)write it;
- Seamline wrote it but the user edited it since -> keep it, return a diff (unless `force`);
- the file is not Seamline's (no hash line) -> never touch it, even with `force`; write to
  `beside` instead when the caller names such a path (compose.yaml -> compose.test.yaml).
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

_HASH_LINE = re.compile(r"^(#|//) seamline-hash: ([0-9a-f]{64})[ \t]*(\r?\n|\Z)", re.MULTILINE)


@dataclass(frozen=True, slots=True, kw_only=True)
class WriteResult:
    path: Path  # where the content went (or would go)
    status: str  # "created" | "updated" | "unchanged" | "kept-edited" | "kept-foreign" | "merged"
    diff: str = ""  # unified diff from the file on disk to the new content (empty when unchanged)
    redirected_from: Path | None = None  # the requested path, when a foreign file there sent us `beside`

    @property
    def written(self) -> bool:
        return self.status in ("created", "updated", "merged")


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stamp(content: str, *, comment: str = "#") -> str:
    """`content` with its hash line inserted after the leading comment block (the header)."""
    lines = content.splitlines(keepends=True)
    at = 0
    while at < len(lines) and lines[at].startswith(comment):
        at += 1
    return "".join(lines[:at] + [f"{comment} seamline-hash: {content_hash(content)}\n"] + lines[at:])


def unstamp(text: str) -> tuple[str, str | None]:
    """(text without its hash line, the recorded hash or None when Seamline did not write it)."""
    m = _HASH_LINE.search(text)
    if not m:
        return text, None
    return text[: m.start()] + text[m.end():], m.group(2)


def _diff(path: Path, old: str, new: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        fromfile=f"{path} (on disk)", tofile=f"{path} (Seamline)"))


def plan_write(path: Path, content: str, *, force: bool = False, beside: Path | None = None,
               comment: str = "#") -> WriteResult:
    """What `write_generated` would do, without writing: the preview the editor shows."""
    path = Path(path)
    stamped = stamp(content, comment=comment)
    if not path.exists():
        return WriteResult(path=path, status="created", diff=_diff(path, "", stamped))
    try:
        existing = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        log.warning("%s exists but cannot be read (%s); leaving it alone", path, e)
        existing = ""
        body, recorded = existing, None
    else:
        body, recorded = unstamp(existing)
    if recorded is None:
        if beside is not None and Path(beside) != path:
            redirected = plan_write(Path(beside), content, force=force, comment=comment)
            return WriteResult(path=redirected.path, status=redirected.status, diff=redirected.diff,
                               redirected_from=path)
        return WriteResult(path=path, status="kept-foreign", diff=_diff(path, existing, stamped))
    if body == content:
        return WriteResult(path=path, status="unchanged")
    if recorded != content_hash(body) and not force:
        return WriteResult(path=path, status="kept-edited", diff=_diff(path, existing, stamped))
    return WriteResult(path=path, status="updated", diff=_diff(path, existing, stamped))


def write_generated(path: Path, content: str, *, force: bool = False, beside: Path | None = None,
                    comment: str = "#") -> WriteResult:
    """Write `content` (its header already in place) to `path` under the rules above; atomic."""
    result = plan_write(path, content, force=force, beside=beside, comment=comment)
    if result.written:
        _atomic_write(result.path, stamp(content, comment=comment))
        log.info("%s %s", result.status, result.path)
    else:
        log.info("%s: %s", result.path, result.status)
    return result


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_merged(path: Path, merged: str, *, expected: str) -> WriteResult:
    """Write `merged`, the user-edited Seamline file `path` with generated additions, keeping its hash
    line as it is: the file stays "edited by the user", so the next generation merges again instead
    of overwriting. `expected` is the on-disk text the merge started from; if the file changed since,
    nothing is written (status "kept-edited")."""
    path = Path(path)
    try:
        current = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        log.warning("%s cannot be read (%s); not merging", path, e)
        return WriteResult(path=path, status="kept-foreign")
    if current != expected or unstamp(current)[1] is None or unstamp(merged)[1] != unstamp(current)[1]:
        return WriteResult(path=path, status="kept-edited", diff=_diff(path, current, merged))
    if merged == current:
        return WriteResult(path=path, status="unchanged")
    _atomic_write(path, merged)
    log.info("merged %s", path)
    return WriteResult(path=path, status="merged", diff=_diff(path, current, merged))


def beside_path(path: Path) -> Path:
    """Where a generated file goes when a foreign one holds `path`: compose.yaml -> compose.test.yaml,
    compose.test.yaml -> compose.seamline.yaml."""
    path = Path(path)
    if ".test." in path.name:
        return path.with_name(path.name.split(".", 1)[0] + ".seamline" + "".join(path.suffixes[-1:]))
    return path.with_name(path.stem + ".test" + path.suffix)
