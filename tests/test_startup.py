"""What start-up takes shortcuts through gives the same answers as the long way round: data tables read
from their marshal copies, SHA-256 from Python's own implementation, a video's hash remembered."""

from __future__ import annotations

import hashlib
import json
import marshal
import os
from pathlib import Path

import pytest

from storyc.base import data
from storyc.base.paths import sha256, sha256_file
from storyc.models import profile
from storyc.submit.journal import file_sha256


def test_the_marshal_copies_of_the_data_tables_are_current() -> None:
    assert data.is_current(data.HERE, data.json_names(data.HERE)), "stale: run python -m storyc.base.data"
    assert data.is_current(profile.PROFILES, [os.path.basename(profile.BUILTIN)]), \
        "stale: run python -m storyc.models.profile build"


def test_every_table_reads_as_its_json(tmp_path: Path) -> None:
    for name in data.json_names(data.HERE):
        with open(os.path.join(data.HERE, name), encoding="utf-8") as handle:
            assert data.read_json(os.path.join(data.HERE, name)) == json.load(handle), name
    with open(profile.BUILTIN, encoding="utf-8") as handle:
        assert data.read_json(profile.BUILTIN) == json.load(handle)


def test_a_stale_copy_is_not_used(tmp_path: Path) -> None:
    table = tmp_path / "t.json"
    table.write_text('{"a": 1}\n', encoding="utf-8")
    data.write_cache(str(tmp_path), ["t.json"])
    assert data.read_json(str(table)) == {"a": 1}
    table.write_text('{"a": 2}\n', encoding="utf-8")  # edited after the copy was made: the file wins
    assert data.read_json(str(table)) == {"a": 2}
    assert not data.is_current(str(tmp_path), ["t.json"])


def test_an_unreadable_copy_is_not_used(tmp_path: Path) -> None:
    table = tmp_path / "t.json"
    table.write_text('["x"]\n', encoding="utf-8")
    (tmp_path / data.CACHE).write_bytes(b"\xffnot marshal")  # another Python's format, or damage
    assert data.read_json(str(table)) == ["x"]
    (tmp_path / data.CACHE).write_bytes(marshal.dumps(["not", "a", "table"]))
    assert data.read_json(str(table)) == ["x"]


@pytest.mark.parametrize("size", [0, 3, 64, 1024 * 1024 - 1, 1024 * 1024, 3 * 1024 * 1024 + 5])
def test_sha256_is_sha256(tmp_path: Path, size: int) -> None:
    content = os.urandom(size)
    assert sha256(content).hexdigest() == hashlib.sha256(content).hexdigest()
    assert sha256(content, large=True).hexdigest() == hashlib.sha256(content).hexdigest()
    path = tmp_path / "f"
    path.write_bytes(content)
    assert sha256_file(str(path)) == hashlib.sha256(content).hexdigest()
    assert file_sha256(str(path)) == hashlib.sha256(content).hexdigest()


def test_a_video_rewritten_in_place_is_hashed_again(tmp_path: Path) -> None:
    """Same size, same modification time (restored), within the same clock step: still a new hash."""
    video = tmp_path / "a.mp4"
    video.write_bytes(b"frame one")
    status = os.stat(video)
    first = file_sha256(str(video))
    with open(video, "r+b") as handle:
        handle.write(b"FRAME")
    os.utime(video, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert os.stat(video).st_mtime_ns == status.st_mtime_ns and os.stat(video).st_size == status.st_size
    assert file_sha256(str(video)) == hashlib.sha256(b"FRAME one").hexdigest() != first


def test_a_video_replaced_by_another_file_is_hashed_again(tmp_path: Path) -> None:
    video, other = tmp_path / "a.mp4", tmp_path / "b.mp4"
    video.write_bytes(b"take one")
    other.write_bytes(b"take two")
    old = os.stat(tmp_path).st_mtime - 60
    for path in (video, other):  # old modification times; their change times stay recent
        os.utime(path, (old, old))
    assert file_sha256(str(video)) == hashlib.sha256(b"take one").hexdigest()
    os.replace(other, video)
    assert file_sha256(str(video)) == hashlib.sha256(b"take two").hexdigest()
