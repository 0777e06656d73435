"""The wire as the official SDK speaks it (issue 20): the `dashscope` SDK installed with the tests and
`story render` run the same jobs (one with a local soundtrack, one on the legacy protocol) against
the emulator, each through its own recording proxy on loopback, and what the service reads is
compared request by request: the create (headers and body), the upload policy and the upload form,
and the status queries. The emulator does not announce its speed here, so storyc polls as it must
before it knows how long a model's tasks take: never more often than the SDK's `wait()`.
"""

from __future__ import annotations

import concurrent.futures
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from test_render_e2e import compiled_bodies, tone
from test_submit_client import form_fields

from storyc.cli import main
from storyc.emulator import EmulatorConfig, create_app
from storyc.emulator.testing import Exchange, proxy, serve
from storyc.submit.scheduler import sdk_gap

dashscope = pytest.importorskip("dashscope")

SDK_KEY = "sk-wire-sdk"
STORY_KEY = "sk-wire-story"
# a task takes 3 s: the SDK polls it at 0, 1, 2 and 4 s; no speed announced, as the real service
CONFIG = EmulatorConfig(pending_seconds=0.5, running_seconds=2.5, speed_hint=False)
STORY = '''storyboard "wire"
model wan2.7-t2v
resolution 720P
ratio 16:9
language en
prompt-extend off
watermark off

clip song 3s
  soundtrack: theme.wav
  A paper boat drifts along a rainy gutter.

clip street 5s
  model wan2.6-t2v
  size 1280*720
  A cyclist crosses a wet street at night.
'''
CREATE = "/api/v1/services/aigc/video-generation/video-synthesis"
# What the service reads of a request's headers: the key's scheme, the body's type, DashScope's own.
READ_HEADERS = ("content-type", "x-dashscope-async", "x-dashscope-ossresourceresolve", "x-dashscope-workspace")
# Fields the SDK adds to every `input` and the reference's bodies (§4) do not have: `extend_prompt`
# (deprecated in the SDK's own signature; the service reads parameters.prompt_extend) and `function`
# (the SDK module's name, "video-synthesis", which the service already has from the path).
SDK_BOOKKEEPING = ("extend_prompt", "function")
# Upload form fields whose value is the client's choice (the rest come from the policy or the file).
CHOSEN_FIELDS = ("x-oss-object-acl", "x-oss-forbid-overwrite", "success_action_status", "x-oss-content-type")


def kind(exchange: Exchange) -> str:
    path = urlsplit(exchange.target).path
    if exchange.method == "POST" and path == CREATE:
        return "create"
    if exchange.method == "GET" and path.rstrip("/") == "/api/v1/uploads":
        return "policy"
    if exchange.method == "POST" and path == "/oss/upload":
        return "upload"
    if exchange.method == "GET" and path.startswith("/api/v1/tasks/"):
        return "query"
    return "other"


def of_kind(exchanges: list[Exchange], wanted: str) -> list[Exchange]:
    return [exchange for exchange in exchanges if kind(exchange) == wanted]


def read_headers(exchange: Exchange) -> dict[str, str]:
    headers = {name: (exchange.header(name) or "").split(";")[0].strip().lower()
               for name in READ_HEADERS if exchange.header(name) is not None}
    headers["authorization"] = (exchange.header("authorization") or "").split(" ")[0]  # the scheme, not the key
    return headers


def sdk_render(bodies: dict[str, dict[str, Any]], folder: Path, url: str) -> None:
    """Each body through `VideoSynthesis.call` (create, then the SDK's own `wait()`), in parallel."""
    from dashscope import VideoSynthesis

    dashscope.base_http_api_url = f"{url}/api/v1"

    def call(body: dict[str, Any]) -> str:
        fields = dict(body["input"])
        audio = fields.pop("audio_url", None)
        if isinstance(audio, str) and audio.startswith("file://"):
            fields["audio_url"] = (folder / audio.removeprefix("file://")).as_uri()  # the SDK uploads it
        answer = VideoSynthesis.call(api_key=SDK_KEY, model=body["model"], **fields, **body["parameters"])
        assert answer.status_code == 200, answer
        return str(answer.output.task_status)

    with concurrent.futures.ThreadPoolExecutor(len(bodies)) as pool:
        assert list(pool.map(call, bodies.values())) == ["SUCCEEDED"] * len(bodies)


def story_render(story: Path, url: str, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", STORY_KEY)
    monkeypatch.setenv("DASHSCOPE_BASE_URL", url)
    monkeypatch.delenv("DASHSCOPE_REGION", raising=False)
    code = main(["render", str(story), "--yes", "--json"])
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()


def create_of(exchanges: list[Exchange], model: str) -> Exchange:
    found = [e for e in of_kind(exchanges, "create") if json.loads(e.body)["model"] == model]
    assert len(found) == 1, f"{len(found)} creates of {model}"
    return found[0]


def polls_of(exchanges: list[Exchange], create: Exchange) -> list[Exchange]:
    task_id = json.loads(create.answer)["output"]["task_id"]
    return [e for e in of_kind(exchanges, "query") if urlsplit(e.target).path.rstrip("/").endswith(task_id)]


def sdk_offsets(count: int) -> list[float]:
    """When the SDK's `wait()` queries, from its first query: 0, 1, 2, 4, 6, 8, 12, ..."""
    offsets = [0.0]
    for number in range(1, count):
        offsets.append(offsets[-1] + sdk_gap(number))
    return offsets


@pytest.fixture(scope="module")
def wire(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Both clients' exchanges, the compiled bodies and the soundtrack's bytes, for every test here."""
    folder = tmp_path_factory.mktemp("wire")
    tone(folder / "theme.wav", 3)
    story = folder / "wire.story"
    story.write_text(STORY, encoding="utf-8")
    sdk: list[Exchange] = []
    ours: list[Exchange] = []
    app = create_app(CONFIG)
    with pytest.MonkeyPatch.context() as monkeypatch, _Quiet() as capsys:
        bodies = compiled_bodies(story, capsys)
        with serve(CONFIG, app=app) as url, proxy(url, sdk) as sdk_url, proxy(url, ours) as story_url:
            sdk_render(bodies, folder, sdk_url)
            story_render(story, story_url, monkeypatch, capsys)
    return {"sdk": sdk, "ours": ours, "bodies": bodies, "audio": (folder / "theme.wav").read_bytes()}


class _Quiet:
    """A stand-in for pytest's capsys in a module fixture: `readouterr` returns what was printed."""

    def __enter__(self) -> Any:
        import contextlib
        import io

        self.out, self.err = io.StringIO(), io.StringIO()
        self.stack = contextlib.ExitStack()
        self.stack.enter_context(contextlib.redirect_stdout(self.out))
        self.stack.enter_context(contextlib.redirect_stderr(self.err))
        return self

    def __exit__(self, *exc: object) -> None:
        self.stack.close()

    def readouterr(self) -> Any:
        from types import SimpleNamespace

        out, err = self.out.getvalue(), self.err.getvalue()
        self.out.seek(0), self.out.truncate(), self.err.seek(0), self.err.truncate()
        return SimpleNamespace(out=out, err=err)


# -- the tests -------------------------------------------------------------------------------------

def test_creates_send_what_the_sdk_sends(wire: Any) -> None:
    for model, body in ((body["model"], body) for body in wire["bodies"].values()):
        sdk, ours = create_of(wire["sdk"], model), create_of(wire["ours"], model)
        assert read_headers(ours) == read_headers(sdk), model
        assert urlsplit(ours.target).path == urlsplit(sdk.target).path
        sent, theirs = json.loads(ours.body), json.loads(sdk.body)
        for name in SDK_BOOKKEEPING:
            theirs["input"].pop(name, None)
        for document, log in ((sent, wire["ours"]), (theirs, wire["sdk"])):
            url = document["input"].get("audio_url")
            if url is not None:  # each names its own upload: compared below, here only its place
                keys = [form_fields(e)["key"].decode() for e in of_kind(log, "upload") if e.status == 200]
                assert url in {f"oss://{key}" for key in keys}
                document["input"]["audio_url"] = "oss://<the upload>"
        assert sent == theirs, model
        assert ("audio_url" in body["input"]) == (read_headers(ours).get("x-dashscope-ossresourceresolve") == "enable")


def test_the_upload_policy_and_the_upload_are_read_as_the_sdks(wire: Any) -> None:
    (sdk_policy,), (our_policy,) = of_kind(wire["sdk"], "policy"), of_kind(wire["ours"], "policy")
    assert read_headers(our_policy) == read_headers(sdk_policy)
    assert urlsplit(our_policy.target).path == urlsplit(sdk_policy.target).path
    assert dict(parse_qsl(urlsplit(our_policy.target).query)) == dict(parse_qsl(urlsplit(sdk_policy.target).query)) \
        == {"action": "getPolicy", "model": "wan2.7-t2v"}
    (sdk_upload,), (our_upload,) = of_kind(wire["sdk"], "upload"), of_kind(wire["ours"], "upload")
    theirs, sent = form_fields(sdk_upload), form_fields(our_upload)
    assert sorted(sent) == sorted(theirs)
    assert {name: sent[name] for name in CHOSEN_FIELDS} == {name: theirs[name] for name in CHOSEN_FIELDS}
    assert sent["file"] == theirs["file"] == wire["audio"]
    for fields, policy in ((sent, our_policy), (theirs, sdk_policy)):  # what the policy handed out, unchanged
        data = json.loads(policy.answer)["data"]
        assert fields["policy"].decode() == data["policy"] and fields["Signature"].decode() == data["signature"]
        assert fields["OSSAccessKeyId"].decode() == data["oss_access_key_id"]
        assert fields["key"].decode().startswith(data["upload_dir"] + "/")
    assert "authorization" not in dict(our_upload.headers) and "authorization" not in dict(sdk_upload.headers)
    assert our_upload.status == sdk_upload.status == 200


def test_status_queries_are_read_as_the_sdks(wire: Any) -> None:
    for body in wire["bodies"].values():
        sdk = polls_of(wire["sdk"], create_of(wire["sdk"], body["model"]))
        ours = polls_of(wire["ours"], create_of(wire["ours"], body["model"]))
        assert {json.dumps(read_headers(e), sort_keys=True) for e in ours} == \
            {json.dumps(read_headers(e), sort_keys=True) for e in sdk}
        assert all(e.body == b"" and urlsplit(e.target).query == "" for e in ours + sdk)
        assert all(e.status == 200 for e in ours + sdk)


def test_before_a_timing_is_known_no_task_is_polled_more_than_the_sdk_polls_it(wire: Any) -> None:
    for body in wire["bodies"].values():
        model = body["model"]
        sdk_create, our_create = create_of(wire["sdk"], model), create_of(wire["ours"], model)
        sdk, ours = polls_of(wire["sdk"], sdk_create), polls_of(wire["ours"], our_create)
        # the SDK as installed keeps the schedule storyc reads from its code: 0, 1, 2, 4, ... s
        sdk_times = [e.sent_at - sdk[0].sent_at for e in sdk]
        assert all(low - 0.05 <= got <= low + 0.5 * (index + 1)
                   for index, (got, low) in enumerate(zip(sdk_times, sdk_offsets(len(sdk)), strict=True)))
        assert len(ours) <= len(sdk), f"{model}: {len(ours)} polls against the SDK's {len(sdk)}"
        # storyc's k-th poll comes no sooner after the create's answer than the SDK's (k+1)-th after its first
        ours_after = [e.sent_at - our_create.answered_at for e in ours]
        earliest = sdk_offsets(len(ours) + 1)[1:]
        assert all(got >= low - 0.02 for got, low in zip(ours_after, earliest, strict=True)), (ours_after, earliest)
        gaps = [later.sent_at - earlier.sent_at for earlier, later in zip(ours, ours[1:], strict=False)]
        assert all(gap >= 0.95 for gap in gaps), gaps
        print(f"{model}: storyc {len(ours)} polls at {[round(t, 2) for t in ours_after]} s; "
              f"SDK {len(sdk)} at {[round(t, 2) for t in sdk_times]} s")
