"""Temporary storage for local files (API reference §10): upload policies, the multipart upload,
and `oss://` URLs that resolve only for the account and model they were uploaded for.

Object keys are OSS keys, not paths: a file is stored under a hash of its key, so a key with a
NUL, a `..`, a 300-character segment or a prefix that is itself a file never touches the file
system in an unexpected way. Keys are checked as OSS checks them (1-1023 bytes of UTF-8, no
control characters); `x-oss-forbid-overwrite: true` refuses a second upload to the same key.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
import re
import threading
import time
import uuid
from typing import Any, NamedTuple, Union

MEGABYTE = 1024 * 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,8})$")


class Stored(NamedTuple):
    path: str
    account: str
    model: str
    stored_at: float


class Refused(NamedTuple):
    """Why an upload was refused: the OSS error code, its message and HTTP status."""

    code: str
    message: str
    status: int


class Uploads:
    def __init__(self, storage: str, secret: bytes, policy_lifetime: float, file_lifetime: float) -> None:
        self.storage = os.path.join(storage, "uploads")
        self.secret = secret
        self.policy_lifetime = policy_lifetime
        self.file_lifetime = file_lifetime
        self.files: dict[str, Stored] = {}  # oldest first
        self.lock = threading.Lock()

    def sign(self, text: str) -> str:
        return base64.b64encode(hmac.new(self.secret, text.encode(), hashlib.sha1).digest()).decode()

    def policy(self, account: str, model: str, upload_host: str, max_bytes: int = 15 * MEGABYTE) -> dict[str, Any]:
        """A signed policy; `account` is an opaque id (never a key), written into the document."""
        folder = f"dashscope-instant/{account[:16]}/{time.strftime('%Y-%m-%d')}/{uuid.uuid4()}"
        document = {
            "expiration": time.time() + self.policy_lifetime, "account": account, "model": model,
            "conditions": [["starts-with", "$key", folder], ["content-length-range", 0, max_bytes]],
        }
        policy = base64.b64encode(json.dumps(document).encode()).decode()
        return {
            "policy": policy, "signature": self.sign(policy), "upload_dir": folder,
            "upload_host": upload_host, "expire_in_seconds": int(self.policy_lifetime),
            "max_file_size_mb": max_bytes // MEGABYTE, "capacity_limit_mb": 999999999,
            "oss_access_key_id": "STORYC-EMULATOR", "x_oss_object_acl": "private", "x_oss_forbid_overwrite": "true",
        }

    def accept(self, form: dict[str, Any], data: bytes) -> Union[Refused, None]:
        """Store an upload; return None on success, else why it was refused."""
        policy = str(form.get("policy", ""))
        if not hmac.compare_digest(self.sign(policy).encode(), str(form.get("Signature", "")).encode("utf-8", "replace")):
            return Refused("SignatureDoesNotMatch", "The request signature we calculated does not match.", 403)
        try:
            document = json.loads(base64.b64decode(policy))
            expiration = float(document["expiration"])
            folder = str(document["conditions"][0][2])
            max_bytes = int(document["conditions"][1][2])
            account, model = str(document["account"]), str(document["model"])
        except (ValueError, TypeError, KeyError, IndexError, binascii.Error):
            return Refused("InvalidPolicyDocument", "The content of the policy document is invalid.", 400)
        if time.time() > expiration:
            return Refused("PolicyExpired", "Invalid according to Policy: Policy expired.", 403)
        key = str(form.get("key", ""))
        problem = _key_problem(key)
        if problem:
            return Refused("InvalidObjectName", f"The object name is invalid: {problem}.", 400)
        if not key.startswith(folder + "/"):
            return Refused("AccessDenied", "Invalid according to Policy: Policy Condition failed: "
                           "[\"starts-with\", \"$key\", upload_dir].", 403)
        if len(data) > max_bytes:
            return Refused("EntityTooLarge", f"Your proposed upload exceeds the maximum allowed size "
                           f"({max_bytes // MEGABYTE} MB).", 400)
        forbid = str(form.get("x-oss-forbid-overwrite", "false")).strip().lower() == "true"
        extension = _EXTENSION.search(key.rsplit("/", 1)[-1])
        name = hashlib.sha256(key.encode()).hexdigest() + (f".{extension.group(1).lower()}" if extension else "")
        path = os.path.join(self.storage, name)
        with self.lock:
            self._forget_expired()
            if forbid and key in self.files:
                return Refused("FileAlreadyExists", "The object you specified already exists and can not be "
                               "overwritten.", 409)
            os.makedirs(self.storage, exist_ok=True)
            partial = f"{path}.{uuid.uuid4().hex}.partial"
            with open(partial, "wb") as handle:
                handle.write(data)
            os.replace(partial, path)
            self.files.pop(key, None)
            self.files[key] = Stored(path, account, model, time.time())
        return None

    def _forget_expired(self) -> None:
        now = time.time()
        while self.files:
            key, stored = next(iter(self.files.items()))
            if now - stored.stored_at <= self.file_lifetime:
                break
            del self.files[key]
            with contextlib.suppress(OSError):
                os.remove(stored.path)

    def resolve(self, url: str, account: str, model: str) -> Union[str, None]:
        """The local path behind an oss:// URL, if this account may use it for this model."""
        key = url[len("oss://"):]
        with self.lock:
            stored = self.files.get(key)
        if stored is None or stored.account != account or stored.model != model:
            return None
        if time.time() - stored.stored_at > self.file_lifetime:
            return None
        return stored.path


def _key_problem(key: str) -> str:
    """What OSS would object to in an object key, or ''."""
    if not key:
        return "it is empty"
    if len(key.encode("utf-8", "surrogatepass")) > 1023:
        return "it is longer than 1023 bytes"
    if _CONTROL.search(key):
        return "it contains a control character"
    if any(0xD800 <= ord(character) <= 0xDFFF for character in key):
        return "it is not valid UTF-8"
    if key.startswith(("/", "\\")):
        return "it starts with a slash"
    if key.endswith("/"):
        return "it names a folder, not a file"
    if any(part in ("", ".", "..") for part in key.split("/")):
        return "it has an empty, `.` or `..` segment"
    return ""
