"""Downloads that a rerun can trust: resumed, retried with backoff, verified, then moved into place.

A file is streamed into ``.<name>.part`` beside its destination (never through a symlink there). A dropped connection is retried
(exponential backoff) and resumed with an HTTP ``Range`` request when the server allows it; the
received size must equal the announced one, and the file must pass its format check (HDF5/NWB
opens, SWC parses, JSON loads) before it is renamed onto its destination. Every file in place is
recorded (size, modification time, SHA-256, source URL) in a small JSON manifest of its folder, so
a file already present is not fetched again, and a file put there by hand is checked once and
recorded without a request. With ``api=`` given, only URLs (and redirects) on that API's host are
fetched; names that a server returns are used only if they are plain file names
(:func:`check_file_name`), so nothing is written outside the destination folder.

Only the standard library (and h5py / simlib's SWC reader for the checks): the download rules run
this module in the separate AllenSDK environment as well as in simlib's.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import http.client
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from simlib.errors import FormatError, SimlibError
from simlib.fileio import atomic_path, read_json

CHUNK_BYTES = 1 << 20
USER_AGENT = "simlib-downloads/1"
# answers worth another try: the server or a proxy is busy or failing for now
RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}


class DownloadError(SimlibError):
    """A file could not be fetched (or what was fetched is not a valid file)."""


# --- what may be fetched, and where it may go -------------------------------------------------

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:   # a port that is not a number
        port = -1
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme)


def check_host(url: str, api: str) -> str:
    """`url` if it is on the host (scheme, host and port) of `api`; DownloadError otherwise."""
    if _origin(url) != _origin(api) or not _origin(api)[1]:
        raise DownloadError(f"{url}: refused: not on the configured API host {api} (a file is fetched only from "
                            f"there)")
    return url


def check_file_name(name, what: str) -> str:
    """`name` if it is a plain file name (one path component, not hidden); DownloadError otherwise.

    Names from a server (or a config) pass here before they become paths, so that ``../x``, ``/etc/x``
    or ``.downloads.json`` can never place a file outside its folder or over simlib's own files.
    """
    if (not isinstance(name, str) or name in ("", ".", "..") or name.startswith(".") or "/" in name
            or "\\" in name or "\0" in name):
        raise DownloadError(f"{what}: file name {name!r} refused; expected a plain file name (no folder, not hidden)")
    return name


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to the API's own host."""

    def __init__(self, api: str):
        self.api = api

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        check_host(newurl, self.api)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _open_private(path: Path, mode: str):
    """Open a file for writing, replacing a symlink at `path` rather than writing through it."""
    if path.is_symlink():
        path.unlink()
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | (os.O_APPEND if mode.startswith("a") else os.O_TRUNC)
    return os.fdopen(os.open(path, flags, 0o666), mode)


# --- checks of downloaded files ----------------------------------------------------------------


def check_hdf5(path, groups=()) -> None:
    """The file opens as HDF5 and holds ``groups``; FormatError otherwise."""
    from simlib.sonata.files import open_h5

    with open_h5(path) as f:
        missing = [g for g in groups if g not in f]
    if missing:
        raise FormatError(f"{path}: HDF5 file without the group(s) {', '.join(missing)}")


def check_nwb(path, groups=("units",)) -> None:
    """An NWB file (HDF5 with ``nwb_version``) holding ``groups`` (the units of an ecephys session)."""
    from simlib.sonata.files import open_h5

    check_hdf5(path, groups)
    with open_h5(path) as f:
        if "nwb_version" not in f.attrs:
            raise FormatError(f"{path}: HDF5 file without the 'nwb_version' attribute; expected an NWB file")


def check_swc(path) -> None:
    """The file parses as an SWC morphology (simlib's reader lists every problem)."""
    from simlib.morphology.swc import read_swc

    read_swc(path)


def check_json(path, keys=()) -> None:
    """A JSON object holding ``keys`` (see :func:`simlib.fileio.read_json`)."""
    read_json(path, required=keys)


# --- the manifest of a folder ------------------------------------------------------------------


def sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Manifest:
    """``{path relative to the manifest's folder: {size, mtime_ns, sha256, url}}`` in a JSON file.

    Several download jobs may record into one manifest at once: updates hold a lock file and
    rewrite the manifest atomically.
    """

    path: Path

    def __post_init__(self):
        self.path = Path(self.path)

    def _key(self, file) -> str:
        return os.path.relpath(Path(file).resolve(), self.path.parent.resolve())

    def _read(self) -> dict:
        if not self.path.exists():
            return {}
        try:
            return read_json(self.path)
        except FormatError as exc:
            raise FormatError(f"{exc}; delete the download manifest to have the files checked and recorded "
                              "again") from None

    def entry(self, file) -> dict | None:
        return self._read().get(self._key(file))

    def holds(self, file) -> bool:
        """Whether ``file`` is the file recorded: same size, and same SHA-256 when it was modified since."""
        entry = self.entry(file)
        if entry is None or not Path(file).is_file():
            return False
        stat = Path(file).stat()
        if stat.st_size != entry["size"]:
            return False
        return stat.st_mtime_ns == entry.get("mtime_ns") or sha256(file) == entry["sha256"]

    @contextlib.contextmanager
    def _locked(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(f".{self.path.name}.lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def record(self, file, url: str | None) -> dict:
        stat = Path(file).stat()
        entry = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha256(file), "url": url}
        with self._locked():
            entries = self._read()
            entries[self._key(file)] = entry
            with atomic_path(self.path) as tmp:
                tmp.write_text(json.dumps(entries, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return entry


# --- fetching ----------------------------------------------------------------------------------


class _Incomplete(Exception):
    """The transfer ended early or the server misbehaved: worth another try."""


def _wait_before_retry(attempt: int, retries: int, backoff_s: float, failure: str, log) -> None:
    """Exponential backoff: ``backoff_s`` before the second attempt, then twice as long each time."""
    wait = backoff_s * 2 ** (attempt - 1)
    log(f"{failure}; retrying in {wait:.1f} s")
    time.sleep(wait)


def _part_paths(dest: Path) -> tuple[Path, Path]:
    return dest.with_name(f".{dest.name}.part"), dest.with_name(f".{dest.name}.part.json")


def _saved_state(state: Path) -> dict:
    """The saved state of a partial download; none (start again) if it is missing or damaged."""
    try:
        return read_json(state)
    except FormatError:
        return {}


def _discard_part(dest: Path) -> None:
    """Remove the part file of `dest` and its state (left by a killed or failed run)."""
    for path in _part_paths(dest):
        path.unlink(missing_ok=True)


def _transfer(url: str, part: Path, state: Path, timeout_s: float, log, api: str | None = None) -> None:
    """One request: continue ``part`` when the server allows it, else start it again; _Incomplete on a short read."""
    if part.is_symlink():   # not ours: never continue (or write) through it
        part.unlink()
    have = part.stat().st_size if part.exists() else 0
    saved = _saved_state(state) if have else {}
    headers = {"User-Agent": USER_AGENT}
    resume = have > 0 and saved.get("url") == url and saved.get("validator")
    if resume:  # If-Range: the server sends the whole file instead when it changed since
        headers.update({"Range": f"bytes={have}-", "If-Range": saved["validator"]})
    opener = urllib.request.build_opener(_SameHostRedirects(api)) if api else urllib.request.build_opener()
    with opener.open(urllib.request.Request(url, headers=headers), timeout=timeout_s) as response:
        if response.status == 206 and resume:
            content_range = response.headers.get("Content-Range", "")
            if not content_range.startswith(f"bytes {have}-"):
                raise _Incomplete(f"server answered the range request with '{content_range}'")
            total = int(content_range.rsplit("/", 1)[1]) if content_range.rsplit("/", 1)[1].isdigit() else None
            mode, start = "ab", have
            log(f"resuming {url} at byte {have}")
        elif response.status == 200:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            mode, start = "wb", 0
        else:
            raise _Incomplete(f"unexpected HTTP status {response.status}")
        validator = response.headers.get("ETag") or response.headers.get("Last-Modified")
        with _open_private(state, "w") as out:
            out.write(json.dumps({"url": url, "validator": validator, "total": total}))
        received = start
        with _open_private(part, mode) as out:
            while True:
                try:
                    block = response.read(CHUNK_BYTES)
                except http.client.IncompleteRead as exc:
                    out.write(exc.partial)
                    received += len(exc.partial)
                    raise _Incomplete(f"connection closed after {received} of {total} bytes") from None
                if not block:
                    break
                out.write(block)
                received += len(block)
    if total is not None and received != total:
        raise _Incomplete(f"connection closed after {received} of {total} bytes")


def fetch(url: str | Callable[[], str], dest, *, check: Callable[[Path], None], manifest: Manifest | None = None, retries: int = 4,
          backoff_s: float = 2.0, timeout_s: float = 120.0, hint: str = "", log: Callable[[str], None] = print,
          api: str | None = None) -> str:
    """Put the file at ``url`` onto ``dest``; return ``"present"`` or ``"downloaded"``.

    Parameters
    ----------
    url : the URL, or a function that finds it (called only when the file must be fetched, so a
        file already present costs no request at all).
    check : raises (FormatError, ...) when a file is not what ``dest`` must be; a downloaded file
        that fails it is never moved into place.
    manifest : records the file; a file it holds unchanged is not fetched again. Without one (or
        for a file it does not list) a file already at ``dest`` is checked and kept.
    retries : further attempts after a failed one, waiting ``backoff_s``, then twice as long, ...
    hint : appended to the final error (where to put the file by hand, which config key names it).
    api : the configured API (``scheme://host[:port]``): `url`, and any redirect, must be on its host.

    Raises
    ------
    DownloadError
        No attempt succeeded (no network, server error, truncated or corrupt file), or the URL or a
        redirect leaves the API's host; ``dest`` is untouched and no partial file is left that a
        rerun would take for the real one.
    """
    dest = Path(dest)
    suffix = f"\n{hint}" if hint else ""
    if dest.exists():
        if manifest is not None and manifest.holds(dest):
            _discard_part(dest)   # a part left by an earlier killed run is not needed any more
            return "present"
        if manifest is None or manifest.entry(dest) is None:  # a file put there by hand: keep it if it is valid
            try:
                check(dest)
            except (SimlibError, OSError, ValueError) as exc:
                raise DownloadError(f"{dest}: the file present is not valid ({exc}); delete it to have it "
                                    f"downloaded again{suffix}") from None
            if manifest is not None:
                manifest.record(dest, None)
            _discard_part(dest)
            return "present"
        log(f"{dest}: changed since it was downloaded; downloading it again")
    if callable(url):
        try:
            url = url()
        except DownloadError as exc:
            raise DownloadError(f"{dest}: not present, and finding its download failed: {exc}") from None
    if api is not None:
        check_host(url, api)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part, state = _part_paths(dest)
    problem = ""
    for attempt in range(retries + 1):
        if attempt:
            _wait_before_retry(attempt, retries, backoff_s, f"attempt {attempt} of {retries + 1} failed ({problem})", log)
        try:
            _transfer(url, part, state, timeout_s, log, api)
        except urllib.error.HTTPError as exc:
            problem = f"HTTP {exc.code} {exc.reason}"
            if exc.code == 416:  # our partial file does not fit the server's: start again
                part.unlink(missing_ok=True)
                continue
            if exc.code not in RETRY_STATUS:
                break
            continue
        except (TimeoutError, _Incomplete, urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            problem = f"{type(reason).__name__}: {reason}" if not isinstance(exc, _Incomplete) else str(exc)
            continue
        try:
            check(part)
        except (SimlibError, OSError, ValueError) as exc:
            problem = f"the downloaded file is not valid: {exc}".replace(str(part), "download")
            part.unlink(missing_ok=True)
            continue
        os.replace(part, dest)
        state.unlink(missing_ok=True)
        if manifest is not None:
            manifest.record(dest, url)
        return "downloaded"
    # a part file may stay for a later resume (with If-Range), never under the destination's name
    if not part.exists():
        state.unlink(missing_ok=True)
    raise DownloadError(f"{dest}: could not download {url} ({problem}){suffix}")


def with_retries(find: Callable[[], object], what: str, *, retries: int = 4, backoff_s: float = 2.0, hint: str = "",
                 log: Callable[[str], None] = print):
    """``find()`` (an API query), tried again with backoff on network errors; DownloadError naming ``what`` at last.

    Connection and HTTP failures (OSError: urllib's, requests' and sockets' errors) are retried; an
    answer that cannot be parsed (ValueError) is reported at once.
    """
    problem = ""
    for attempt in range(retries + 1):
        if attempt:
            _wait_before_retry(attempt, retries, backoff_s, f"{what}: attempt {attempt} of {retries + 1} failed "
                               f"({problem})", log)
        try:
            return find()
        except OSError as exc:
            problem = f"{type(exc).__name__}: {exc}"
        except ValueError as exc:
            problem = f"unexpected answer: {exc}"
            break
    suffix = f"\n{hint}" if hint else ""
    raise DownloadError(f"{what}: failed ({problem}){suffix}")
