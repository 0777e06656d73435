"""The journal: what was asked of the service and what came back, in SQLite under `.story/`.

One row per distinct request, keyed by `request_hash` (model, region and body as compiled, a local
soundtrack counted by its content hash, not its upload URL). The intent to create a task is written
before the call, and every state change after it, so a process killed at any instant resumes on the
next run without paying twice:

    new -> creating -> submitted -> succeeded -> downloaded
                 \\-> failed (not billed; submitted again on the next run)
    submitted/succeeded -> expired (task or URL older than 24 h; only --resubmit-expired submits again)

`creating` means a create call may have reached the service: the run loop resolves it through the
list-tasks endpoint (§11) before it ever sends the request again. Every task id ever seen is kept in
`tasks`, so a task is never adopted twice. Uploads are remembered per (file sha256, model) with their
expiry. The journal never holds the key.

A `new` row is not proof that nothing was sent: the journal may have been deleted, truncated or set
aside since. `searched` lists the requests this journal can vouch for (it searched the service's task
list for them, or it wrote their intent itself); any other request is looked for in the task list
before it is created (`submit.recall`).

A journal that SQLite cannot read, that fails its integrity check, or that a newer storyc wrote
(`PRAGMA user_version` above `SCHEMA_VERSION`) is set aside — renamed to
`journal.sqlite.damaged-<time>` with its WAL — and a new one begins, which `searched` leaves to
rebuild from the lock file and the service. Read-only commands (`plan`, `status`) read it as empty
and say so. Every SQLite error after opening becomes a `JournalError` naming the file.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import time
from typing import IO, Any, Callable, Iterable, NamedTuple

from ..base.paths import sha256

JOURNAL_FOLDER = ".story"
JOURNAL_NAME = "journal.sqlite"
OFFLINE_NAME = "offline.sqlite"  # runs against the built-in emulator: never mistaken for paid videos
STATES = ("new", "creating", "submitted", "succeeded", "downloaded", "failed", "expired")
SCHEMA_VERSION = 1  # PRAGMA user_version; 0 is the same tables without `searched`

_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    hash TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    region TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    task_id TEXT,
    attempt_at REAL,
    submitted_at REAL,
    status TEXT,
    usage TEXT,
    video_url TEXT,
    video TEXT,
    sha256 TEXT,
    size INTEGER,
    code TEXT,
    message TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS tasks (
    task_id TEXT PRIMARY KEY,
    hash TEXT NOT NULL,
    created_at REAL NOT NULL,
    status TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS uploads (
    sha256 TEXT NOT NULL,
    model TEXT NOT NULL,
    url TEXT NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (sha256, model)
);
CREATE TABLE IF NOT EXISTS timings (
    model TEXT PRIMARY KEY,
    seconds REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS clips (
    storyboard TEXT NOT NULL,
    clip TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (storyboard, clip)
);
CREATE TABLE IF NOT EXISTS searched (
    hash TEXT PRIMARY KEY,
    at REAL NOT NULL
);
"""
_TASK_COLUMNS = {"task_id", "hash", "created_at", "status"}


class Row(NamedTuple):
    hash: str
    model: str
    region: str
    body: dict[str, Any]
    state: str
    task_id: str | None
    attempt_at: float | None
    submitted_at: float | None
    status: str | None
    usage: dict[str, Any] | None
    video_url: str | None
    video: str | None
    sha256: str | None
    size: int | None
    code: str | None
    message: str | None
    failures: int
    updated_at: float


def request_hash(model: str, region: str, body: dict[str, Any], file_hashes: dict[str, str] | None = None) -> str:
    """`sha256:<hex>` of the request as compiled; a local file's URL is replaced by its content hash."""
    def stable(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: stable(item) for key, item in value.items()}
        if isinstance(value, list):
            return [stable(item) for item in value]
        if isinstance(value, str) and file_hashes and value in file_hashes:
            return f"sha256:{file_hashes[value]}"
        return value

    text = json.dumps({"model": model, "region": region, "body": stable(body)}, ensure_ascii=False,
                      sort_keys=True, separators=(",", ":"))
    return "sha256:" + sha256(text.encode("utf-8")).hexdigest()


def journal_folder(storyboard_path: str) -> str:
    return os.path.join(os.path.dirname(os.path.abspath(storyboard_path)), JOURNAL_FOLDER)


class JournalError(Exception):
    """The journal's folder cannot be used (a symlink, not writable), or the journal cannot be written."""


class Damaged(Exception):
    """A journal file that cannot be trusted; the message says why, in lowercase."""


def ensure_folder(folder: str) -> None:
    """`.story/` with a `.gitignore` of `*`: the journal is local state, never committed.

    A cloned repository could ship `.story` (or its `.gitignore`) as a symlink to send storyc's
    writes elsewhere: the folder must be a real one, and the `.gitignore` is replaced atomically.
    """
    from ..base.paths import write_atomically

    if os.path.islink(folder):
        raise JournalError(f"`{folder}` is a symlink; the journal is kept only in a real folder beside the storyboard")
    ignore = os.path.join(folder, ".gitignore")
    try:
        os.makedirs(folder, exist_ok=True)
        if os.path.islink(ignore) or not os.path.isfile(ignore):
            write_atomically(ignore, "*\n")
    except OSError as error:
        raise JournalError(f"cannot write the journal folder `{folder}`: {(error.strerror or str(error)).lower()}") from None


class Journal:
    """One SQLite file; every method commits before it returns."""

    def __init__(self, folder: str, wall: Callable[[], float] = time.time, create: bool = True,
                 offline: bool = False) -> None:
        if create:
            ensure_folder(folder)
        self.folder = folder
        self.path = os.path.join(folder, OFFLINE_NAME if offline else JOURNAL_NAME)
        self.offline = offline
        self._lock_handle: IO[str] | None = None
        self.wall = wall
        self.notice: str | None = None  # what happened to a damaged journal, for the command to print
        self.db = _Guarded(self._open(create), self.path)

    def _open(self, create: bool) -> sqlite3.Connection:
        """The journal's connection; a damaged file is set aside (or, not creating, read as empty)."""
        # not creating, and nothing there yet: an empty journal in memory
        where = self.path if create or os.path.exists(self.path) else ":memory:"
        try:
            return _connect(where, writable=create)
        except Damaged as damage:
            if not create:
                self.notice = (f"the journal `{self.path}` is damaged ({damage}); read as empty. "
                               "`story render` sets it aside and rebuilds it")
                return _connect(":memory:", writable=False)
            aside = self._set_aside()
            self.notice = (f"the journal `{self.path}` is damaged ({damage}); set aside as `{aside}`. "
                           "A new one is rebuilt from the lock file and the service's task list")
        try:
            return _connect(self.path, writable=True)
        except Damaged as damage:  # a fresh file cannot be damaged: the folder itself is at fault
            raise JournalError(f"cannot create the journal `{self.path}`: {damage}") from None

    def _set_aside(self) -> str:
        """Rename the damaged file and its WAL out of the way; the new name."""
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self.wall()))
        aside = f"{self.path}.damaged-{stamp}"
        number = 1
        while os.path.lexists(aside):
            number += 1
            aside = f"{self.path}.damaged-{stamp}-{number}"
        try:
            for suffix in ("-wal", "-shm", ""):  # the main file last: a crash half way leaves it findable
                if os.path.lexists(self.path + suffix):
                    os.replace(self.path + suffix, aside + suffix)
        except OSError as error:
            raise JournalError(f"the journal `{self.path}` is damaged and cannot be set aside: "
                               f"{(error.strerror or str(error)).lower()}") from None
        return aside

    def close(self) -> None:
        self.db.close()
        if self._lock_handle is not None:
            self._lock_handle.close()  # closing the file releases the run lock
            self._lock_handle = None

    def exclusive(self) -> bool:
        """Hold the folder's run lock until the process ends; False when another run holds it.

        Two runs over the same journal could both find a request new and both pay for it.
        """
        import fcntl

        if self._lock_handle is not None:
            return True
        handle = open(os.path.join(self.folder, "run.lock"), "a+")  # noqa: SIM115 - held for the whole run
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._lock_handle = handle
        return True

    # -- reading ---------------------------------------------------------------------------------
    def get(self, hash: str) -> Row | None:
        cursor = self.db.execute("SELECT * FROM requests WHERE hash = ?", (hash,))
        found = cursor.fetchone()
        return _row(found) if found else None

    def rows(self, state: str | None = None) -> list[Row]:
        if state is None:
            cursor = self.db.execute("SELECT * FROM requests ORDER BY hash")
        else:
            cursor = self.db.execute("SELECT * FROM requests WHERE state = ? ORDER BY hash", (state,))
        return [_row(found) for found in cursor.fetchall()]

    def known_task_ids(self) -> set[str]:
        return {str(found[0]) for found in self.db.execute("SELECT task_id FROM tasks")}

    def searched(self, hash: str) -> bool:
        """Whether this journal knows every task the request has (see the module's docstring)."""
        return self.db.execute("SELECT 1 FROM searched WHERE hash = ?", (hash,)).fetchone() is not None

    def tasks_of(self, hash: str) -> list[tuple[str, str]]:
        cursor = self.db.execute("SELECT task_id, status FROM tasks WHERE hash = ? ORDER BY created_at", (hash,))
        return [(str(a), str(b)) for a, b in cursor.fetchall()]

    def clips(self, storyboard: str) -> dict[str, str]:
        cursor = self.db.execute("SELECT clip, hash FROM clips WHERE storyboard = ?", (storyboard,))
        return {str(a): str(b) for a, b in cursor.fetchall()}

    # -- writing ---------------------------------------------------------------------------------
    def remember(self, hash: str, model: str, region: str, body: dict[str, Any]) -> Row:
        """The row for a request, created as `new` if the journal has not seen it."""
        self.db.execute(
            "INSERT OR IGNORE INTO requests (hash, model, region, body, state, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            (hash, model, region, json.dumps(body, ensure_ascii=False, sort_keys=True), "new", self.wall()))
        found = self.get(hash)
        assert found is not None
        return found

    def name_clips(self, storyboard: str, clips: dict[str, str]) -> None:
        """The storyboard's clips as last rendered (for `story status` and `story cancel`).

        Left alone when they are already so: a run that changes nothing writes nothing, so closing the
        journal has nothing to checkpoint (no fsync).
        """
        if self.clips(storyboard) == clips:
            return
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM clips WHERE storyboard = ?", (storyboard,))
            self.db.executemany("INSERT INTO clips (storyboard, clip, hash) VALUES (?, ?, ?)",
                                [(storyboard, clip, hash) for clip, hash in sorted(clips.items())])

    def vouch(self, hash: str) -> None:
        """The service's task list holds no task of this request that the journal does not know."""
        self.db.execute("INSERT OR IGNORE INTO searched (hash, at) VALUES (?, ?)", (hash, self.wall()))

    def _set(self, hash: str, **fields: Any) -> None:
        fields["updated_at"] = self.wall()
        for name in ("usage",):
            if name in fields and fields[name] is not None:
                fields[name] = json.dumps(fields[name], sort_keys=True)
        names = ", ".join(f"{name} = ?" for name in fields)
        self.db.execute(f"UPDATE requests SET {names} WHERE hash = ?", (*fields.values(), hash))

    def intend(self, hash: str) -> None:
        """Before a create call: the task may exist from now on. Keeps the first attempt's time."""
        row = self.get(hash)
        attempt = row.attempt_at if row is not None and row.state == "creating" and row.attempt_at else self.wall()
        with self.db:
            self.db.execute("BEGIN")
            self.vouch(hash)  # from here on the journal itself records every create
            self._set(hash, state="creating", attempt_at=attempt, task_id=None, status=None, code=None,
                      message=None)

    def submitted(self, hash: str, task_id: str, status: str = "PENDING", at: float | None = None) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("INSERT OR REPLACE INTO tasks (task_id, hash, created_at, status) VALUES (?, ?, ?, ?)",
                            (task_id, hash, at or self.wall(), status))
            self._set(hash, state="submitted", task_id=task_id, status=status, attempt_at=None,
                      submitted_at=at or self.wall(), video_url=None, code=None, message=None)

    def not_created(self, hash: str) -> None:
        """A create that certainly made no task (the service said no, or nothing matched in the listing)."""
        self._set(hash, state="new", attempt_at=None)

    def status(self, hash: str, task_id: str, status: str) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("UPDATE tasks SET status = ? WHERE task_id = ?", (status, task_id))
            self._set(hash, status=status)

    def succeeded(self, hash: str, task_id: str, video_url: str, usage: dict[str, Any] | None) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("UPDATE tasks SET status = 'SUCCEEDED' WHERE task_id = ?", (task_id,))
            self._set(hash, state="succeeded", status="SUCCEEDED", video_url=video_url, usage=usage)

    def failed(self, hash: str, task_id: str | None, code: str, message: str) -> None:
        with self.db:
            self.db.execute("BEGIN")
            if task_id:
                self.db.execute("UPDATE tasks SET status = 'FAILED' WHERE task_id = ?", (task_id,))
            row = self.get(hash)
            self._set(hash, state="failed", status="FAILED", code=code, message=message, attempt_at=None,
                      failures=(row.failures if row else 0) + 1)

    def expired(self, hash: str, message: str) -> None:
        self._set(hash, state="expired", code="Expired", message=message)

    def canceled(self, hash: str, task_id: str) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("UPDATE tasks SET status = 'CANCELED' WHERE task_id = ?", (task_id,))
            self._set(hash, state="new", status="CANCELED", task_id=None)

    def downloaded(self, hash: str, video: str, sha256: str, size: int) -> None:
        self._set(hash, state="downloaded", video=video, sha256=sha256, size=size)

    def adopt_download(self, hash: str, task_id: str, video: str, sha256: str, size: int,
                       usage: dict[str, Any] | None) -> None:
        """A video named by the lock file, present and intact, for a request this journal never saw."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("INSERT OR IGNORE INTO tasks (task_id, hash, created_at, status) VALUES (?, ?, ?, ?)",
                            (task_id, hash, self.wall(), "SUCCEEDED"))
            self._set(hash, state="downloaded", task_id=task_id, status="SUCCEEDED", video=video, sha256=sha256,
                      size=size, usage=usage)

    def forget_download(self, hash: str) -> None:
        """The video file is gone or changed: fetch it again from its URL."""
        self._set(hash, state="succeeded", video=None, sha256=None, size=None)

    # -- timings ---------------------------------------------------------------------------------
    def timing(self, model: str) -> float | None:
        """How long the model's tasks took last time (seconds), to time the first polls."""
        found = self.db.execute("SELECT seconds FROM timings WHERE model = ?", (model,)).fetchone()
        return float(found[0]) if found else None

    def remember_timing(self, model: str, seconds: float) -> None:
        self.db.execute("INSERT OR REPLACE INTO timings (model, seconds) VALUES (?, ?)", (model, seconds))

    # -- uploads ---------------------------------------------------------------------------------
    def upload(self, sha256: str, model: str) -> str | None:
        cursor = self.db.execute("SELECT url, expires_at FROM uploads WHERE sha256 = ? AND model = ?", (sha256, model))
        found = cursor.fetchone()
        if found is None or float(found[1]) <= self.wall():
            return None
        return str(found[0])

    def uploaded(self, sha256: str, model: str, url: str, expires_at: float) -> None:
        self.db.execute("INSERT OR REPLACE INTO uploads (sha256, model, url, expires_at) VALUES (?, ?, ?, ?)",
                        (sha256, model, url, expires_at))

    def drop_upload(self, sha256: str, model: str) -> None:
        self.db.execute("DELETE FROM uploads WHERE sha256 = ? AND model = ?", (sha256, model))


def _connect(where: str, writable: bool) -> sqlite3.Connection:
    """A connection to a journal that SQLite reads, passes its integrity check and is of a known schema."""
    db = None
    try:
        db = sqlite3.connect(where, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")  # the first read: "file is not a database" shows here
        db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives a killed process
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise Damaged(f"a newer storyc wrote it: schema {version}, this one reads {SCHEMA_VERSION}")
        verdict = str(db.execute("PRAGMA quick_check(1)").fetchone()[0])
        if verdict != "ok":
            raise Damaged(f"its integrity check failed: {verdict}")
        for table, wanted in (("requests", set(Row._fields)), ("tasks", _TASK_COLUMNS)):
            found = {str(column[1]) for column in db.execute(f"PRAGMA table_info({table})")}
            if found and not wanted <= found:
                raise Damaged(f"its table `{table}` is not storyc's")
        db.executescript(_SCHEMA)
        if (writable or where == ":memory:") and version != SCHEMA_VERSION:  # a write: only when it changes
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return db
    except sqlite3.OperationalError as error:  # locked, unopenable, read-only: a fault, not damage
        if db is not None:
            db.close()
        raise JournalError(f"cannot open the journal `{where}`: {str(error).lower()}") from None
    except sqlite3.DatabaseError as error:  # not a database, malformed
        if db is not None:
            db.close()
        raise Damaged(str(error).lower()) from None
    except Damaged:
        if db is not None:
            db.close()
        raise


class _Guarded:
    """The SQLite connection, with every error turned into a JournalError that names the file.

    A full disk or a read-only folder then stops the run with a message instead of a traceback.
    """

    def __init__(self, db: sqlite3.Connection, path: str) -> None:
        self._db = db
        self._path = path

    def _fault(self, error: sqlite3.Error) -> JournalError:
        return JournalError(f"cannot use the journal `{self._path}`: {str(error).lower()}")

    def execute(self, sql: str, parameters: Any = ()) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, parameters)
        except sqlite3.Error as error:
            raise self._fault(error) from None

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        try:
            return self._db.executemany(sql, rows)
        except sqlite3.Error as error:
            raise self._fault(error) from None

    def executescript(self, sql: str) -> sqlite3.Cursor:
        try:
            return self._db.executescript(sql)
        except sqlite3.Error as error:
            raise self._fault(error) from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> _Guarded:
        self._db.__enter__()
        return self

    def __exit__(self, kind: Any, value: Any, traceback: Any) -> None:
        try:
            self._db.__exit__(kind, value, traceback)
        except sqlite3.Error as error:
            raise self._fault(error) from None


def _row(found: tuple[Any, ...]) -> Row:
    values = list(found)
    values[3] = json.loads(values[3])
    values[9] = json.loads(values[9]) if values[9] else None
    return Row(*values)


def holds(path: str, sha256: str | None) -> bool:
    """Whether `path` is a regular file with this content; a FIFO or device put there is not (never read)."""
    try:
        return os.path.exists(path) and file_sha256(path) == sha256
    except OSError:
        return False


def video_file(row: Row, paths: Iterable[str]) -> str | None:
    """A file holding the row's video: where it was downloaded, else the first of `paths` (its clips' files)."""
    return next((path for path in (row.video, *paths) if path and holds(path, row.sha256)), None)


def file_sha256(path: str) -> str:
    """The hex sha256 of a regular file; OSError (a `FileProblem`) for a FIFO, a device or a huge file.

    Lock files and journals name videos: `/dev/zero` there must be refused, never hashed forever.
    A run asks for the same video's hash several times (is it still the journal's? then for the lock
    file): a file already hashed by this process is not read again while it is the same file, unchanged
    (see `_unchanged_since`).
    """
    from ..base.paths import sha256_file

    identity = _identity(path)
    known = _HASHED.get(path)
    if identity is not None and known is not None and known[0] == identity:
        return known[1]
    digest = sha256_file(path)
    if identity is not None and _identity(path) == identity and _unchanged_since(identity):
        _HASHED[path] = (identity, digest)
    return digest


_HASHED: dict[str, tuple[tuple[int, ...], str]] = {}  # path -> (its identity when hashed, sha256), this process
_SETTLED = 2.0  # seconds: more than any file system's step between two change times (ctime)


def _identity(path: str) -> tuple[int, ...] | None:
    """Device, inode, size, modification and change times (ns) of a regular file, else None.

    Writing to a file always sets its change time (ctime) to the clock's present, which no program can
    set back (unlike the modification time): a file that was rewritten, even to the same size and with
    its modification time restored, has another identity.
    """
    try:
        found = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(found.st_mode):
        return None
    return (found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns)


def _unchanged_since(identity: tuple[int, ...]) -> bool:
    """Whether a change after the file was hashed would show in its identity: its change time is older
    than the file system's step, so any later write sets a later one (a write in the same step as the
    last would keep the same time, and the file would not be remembered)."""
    return time.time() - identity[4] / 1e9 > _SETTLED
