"""Files on disk, handled one way everywhere: what "inside the project" means, bounded reads, atomic writes.

Inside the project: a path is resolved with every symlink followed (`os.path.realpath`) and only
then compared with the project's root, itself resolved. Includes, project templates, profile
folders a project names and soundtracks all go through `outside`, so a symlink cannot lead
anywhere that `../../x` could not. A refused path is shown as written and where it really leads.

Reads are bounded (`MAX_FILE_BYTES`) and never block on a FIFO; writes go to a private temporary
file in the same folder (`tempfile.mkstemp`) and replace the target in one `os.replace`.

Every local file a request reads — a soundtrack named in a storyboard, a `file://` URL a project
template writes, a video a lock file names — passes one gate, `request_file`: inside the project
after symlinks, a regular file (never `/dev/zero` or a FIFO), at most `MAX_MEDIA_BYTES`; it is then
hashed with `sha256_file`, which opens without blocking and stops at the cap.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from typing import Any, Iterator, Protocol, Union

MAX_FILE_BYTES = 64 * 1024 * 1024  # a storyboard, template or profile larger than this is refused
MAX_MEDIA_BYTES = 64 * 1024 * 1024  # a file a request uploads (the service takes audio up to 15 MB)
MAX_VIDEO_BYTES = 4 * 1024 * 1024 * 1024  # a video hashed to check it (a 15 s clip is tens of MB)
_CHUNK = 1024 * 1024


class FileProblem(OSError):
    """A file that cannot be read as asked; the message is lowercase and says why.

    An OSError, so callers that already handle unreadable files handle refused ones too.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "cannot be read"


def outside(path: str, root: str) -> Union[str, None]:
    """Where `path` really leads when that is outside `root` (both resolved), else None.

    A path with a NUL byte names no file; it is refused as outside rather than resolved.
    """
    if "\0" in path:
        return path
    real = os.path.realpath(path)
    return None if contains(os.path.realpath(root), real) else real


def contains(real_root: str, real_path: str) -> bool:
    """Whether `real_path` is `real_root` or lies below it; both must already be resolved."""
    try:
        return os.path.commonpath([real_path, real_root]) == real_root
    except ValueError:  # different drives, or one relative and one absolute
        return False


def kind(mode: int) -> str:
    """A file type as a user would name it: `a folder`, `a FIFO`, `a socket`, `a device`."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def read_bytes(path: str, *, regular_only: bool = True, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, at most `limit` of them; FileProblem for anything else.

    The file is opened without blocking, so a FIFO with no writer cannot hang the caller. With
    `regular_only`, FIFOs, sockets and devices are refused; otherwise (a path the user named on the
    command line, such as `/dev/stdin`) they are read up to the limit like any file.
    """
    return b"".join(_bounded_chunks(path, limit, regular_only))


def _bounded_chunks(path: str, limit: int, regular_only: bool) -> Iterator[bytes]:
    """The file's bytes in chunks, opened without blocking and checked with fstat (a FIFO or a device
    swapped in after a check is refused, never read forever); FileProblem past `limit` bytes."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise FileProblem(_reason(error)) from None
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            if regular_only or stat.S_ISDIR(mode):
                raise FileProblem(f"it is {kind(mode)}, not a regular file")
            os.set_blocking(descriptor, True)
        size = 0
        while chunk := os.read(descriptor, _CHUNK):
            size += len(chunk)
            if size > limit:
                raise FileProblem(f"it is larger than {limit // (1024 * 1024)} MB, the most storyc reads")
            yield chunk
    except FileProblem:
        raise
    except OSError as error:
        raise FileProblem(_reason(error)) from None
    finally:
        os.close(descriptor)


def request_file(path: str, root: str, origin: str, limit: int = MAX_MEDIA_BYTES) -> str:
    """The real path of a local file a request reads, once it passes the gate; FileProblem otherwise.

    `origin` says where the path came from (`clip `a` of x.story: its soundtrack or a project
    template`); every refusal names it and the path as written.
    """
    if "\0" in path:
        raise FileProblem(f"{origin} names `{path!r}`, which holds a NUL byte and names no file")
    leads = outside(path, root)
    if leads is not None:
        raise FileProblem(f"{origin} names `{path}`, which leads outside the project (`{root}`), to `{leads}`")
    real = os.path.realpath(path)
    try:
        status = os.stat(real)
    except OSError as error:
        raise FileProblem(f"{origin} names `{path}`: {_reason(error)}") from None
    if not stat.S_ISREG(status.st_mode):
        raise FileProblem(f"{origin} names `{path}`, which is {kind(status.st_mode)}, not a regular file")
    if status.st_size > limit:
        raise FileProblem(f"{origin} names `{path}`, which is larger than {limit // (1024 * 1024)} MB, "
                          "the most storyc sends")
    return real


class Hash(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def digest(self) -> bytes: ...
    def hexdigest(self) -> str: ...


def sha256(data: bytes = b"", large: bool = False) -> Hash:
    """A sha256 hash object (`update`, `hexdigest`), the same digest whichever implementation computes it.

    `hashlib` loads OpenSSL, 2-10 ms here: more than the rest of a cached `story render` or of a
    `story plan` takes. Python's own implementation loads in 0.2 ms and hashes about a quarter as
    fast (some 4 ms a megabyte), so it takes what is small: request bodies and files under a
    megabyte. hashlib takes the rest (`large`), and everything once it is loaded anyway.
    """
    if large or "_hashlib" in sys.modules:
        import hashlib

        return hashlib.sha256(data)
    own = _own_sha256()
    made: Hash = own(data) if own is not None else sha256(data, large=True)
    return made


def _own_sha256() -> Any:
    import importlib

    for name in ("_sha2", "_sha256"):  # CPython 3.12 and later; 3.11
        try:
            return importlib.import_module(name).sha256
        except (ImportError, AttributeError):
            continue
    return None


def sha256_file(path: str, limit: int = MAX_VIDEO_BYTES) -> str:
    """The hex sha256 of a regular file of at most `limit` bytes; FileProblem for anything else."""
    digest = None
    for chunk in _bounded_chunks(path, limit, regular_only=True):
        if digest is None:  # a first chunk shorter than a chunk (a megabyte) is the whole file
            digest = sha256(large=len(chunk) >= _CHUNK)
        digest.update(chunk)
    return (digest or sha256()).hexdigest()


def mode_for(path: str) -> int:
    """The replaced file's permissions, or for a new file what `open` would have given it."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mask = os.umask(0o022)
        os.umask(mask)
        return 0o666 & ~mask


def _reason(error: OSError) -> str:
    return (error.strerror or type(error).__name__).lower()


def write_atomically(path: str, text: str, prefix: str | None = None, suffix: str = ".tmp") -> None:
    """Replace `path` with `text` (UTF-8, `\\n` line ends) in one step through a private temporary file.

    The temporary name is unpredictable and created exclusively (`tempfile.mkstemp`), so a symlink
    planted beside the target cannot redirect the write; an interrupted write leaves the old file.
    `prefix` and `suffix` name the temporary file (lock files use `.lock-*`, which render sweeps).
    Raises OSError.
    """
    import tempfile  # only when writing: it imports shutil, which `story check` must not pay for

    folder = os.path.dirname(path) or "."
    descriptor, temporary = tempfile.mkstemp(prefix=prefix or f".{os.path.basename(path)}.", suffix=suffix, dir=folder)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(temporary, mode_for(path))
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


def write_if_changed(path: str, text: str) -> bool:
    """Write `text` to `path` unless it holds exactly that already; True when it was written.

    Compiling again then touches only what changed (for 1,000 clips, creating 2,000 files costs
    more than compiling them). A file that is not there is created in place, exclusively (a planted
    symlink makes that fail, and the write goes through `write_atomically`, which replaces the link);
    one that differs is replaced through `write_atomically`. Raises OSError.
    """
    data = text.encode("utf-8")
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        if _create(path, data):
            return True
    except OSError:
        pass  # a symlink or something unreadable: replaced below
    else:
        with os.fdopen(descriptor, "rb") as handle:
            if handle.read(len(data) + 1) == data:
                return False
    write_atomically(path, text)
    return True


def _create(path: str, data: bytes) -> bool:
    """Create `path` holding `data`; False when something appeared there meanwhile."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        return False
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(path)
        raise
    return True

