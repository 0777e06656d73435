"""Temporary storage for local files (API reference §10): upload policies, the multipart upload,
and `oss://` URLs that resolve only for the account and model they were uploaded for."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from typing import Any, NamedTuple, Union


class Stored(NamedTuple):
    path: str
    account: str
    model: str
    stored_at: float


class Uploads:
    def __init__(self, storage: str, secret: bytes, policy_lifetime: float, file_lifetime: float) -> None:
        self.storage = os.path.join(storage, "uploads")
        self.secret = secret
        self.policy_lifetime = policy_lifetime
        self.file_lifetime = file_lifetime
        self.files: dict[str, Stored] = {}
        self.lock = threading.Lock()

    def sign(self, text: str) -> str:
        return base64.b64encode(hmac.new(self.secret, text.encode(), hashlib.sha1).digest()).decode()

    def policy(self, account: str, model: str, upload_host: str) -> dict[str, Any]:
        folder = f"dashscope-instant/{hashlib.sha1(account.encode()).hexdigest()[:16]}/" \
                 f"{time.strftime('%Y-%m-%d')}/{uuid.uuid4()}"
        document = {
            "expiration": time.time() + self.policy_lifetime, "account": account, "model": model,
            "conditions": [["starts-with", "$key", folder], ["content-length-range", 0, 1024 ** 3]],
        }
        policy = base64.b64encode(json.dumps(document).encode()).decode()
        return {
            "policy": policy, "signature": self.sign(policy), "upload_dir": folder,
            "upload_host": upload_host, "expire_in_seconds": int(self.policy_lifetime),
            "max_file_size_mb": 1024, "capacity_limit_mb": 999999999, "oss_access_key_id": "STORYC-EMULATOR",
            "x_oss_object_acl": "private", "x_oss_forbid_overwrite": "true",
        }

    def accept(self, form: dict[str, Any], data: bytes) -> Union[str, None]:
        """Store an upload; return None on success, else the reason it was refused."""
        policy = str(form.get("policy", ""))
        if not hmac.compare_digest(self.sign(policy), str(form.get("Signature", ""))):
            return "SignatureDoesNotMatch"
        try:
            document = json.loads(base64.b64decode(policy))
        except ValueError:
            return "InvalidPolicyDocument"
        if time.time() > document["expiration"]:
            return "PolicyExpired"
        key = str(form.get("key", ""))
        folder = document["conditions"][0][2]
        if not key.startswith(folder + "/") or ".." in key.split("/"):
            return "AccessDenied"
        if len(data) > 1024 ** 3:
            return "EntityTooLarge"
        path = os.path.join(self.storage, *key.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
        with self.lock:
            self.files[key] = Stored(path, document["account"], document["model"], time.time())
        return None

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
