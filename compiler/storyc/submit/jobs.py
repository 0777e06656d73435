"""From compiled storyboards to jobs: one per distinct request, with its clips, price and journal state.

`prepare` is shared by `story render`, `story plan` (cached / in flight / to submit), `story status`
and `story cancel`, so all of them agree on what a clip's request is and where its video goes.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, NamedTuple

from ..check.chains import other_storyboard, split_key
from ..compile.takes import take_body, take_label, takes_range
from ..models.pricing import Price, billed_seconds, body_price, cost_of
from .chain import PENDING, continued_source, identity
from .journal import Journal, Row, journal_folder
from .lock import LockedClip, LockFile, committed_video, lock_path, lock_with_takes, read_lock
from .upload import SoundtrackMissing, file_hashes, local_files

if TYPE_CHECKING:
    from ..compile.emit import Compiled
    from ..compile.plan import Plan


class Target(NamedTuple):
    """One clip of one storyboard and the file its video goes to."""

    storyboard: str  # as given on the command line
    name: str
    path: str  # absolute path of the video
    where: str  # `file:line:col` of the clip's name
    take: int = 1  # which take of the clip (compile/takes.py)

    @property
    def label(self) -> str:
        """The clip's name, with `.take<k>` for a take after the first (as its video is named)."""
        return take_label(self.name, self.take)


class Job:
    """One distinct request (several clips may compile to the same one) and what the run knows of it."""

    def __init__(self, hash: str, model: str, region: str, body: dict[str, Any], files: dict[str, str],
                 hashes: dict[str, str], journal: Journal, price: Price, rate_limits: dict[str, int],
                 currency: str, seconds: float) -> None:
        self.hash = hash
        self.model = model
        self.region = region
        self.body = body
        self.files = files  # file:// URL -> absolute path
        self.hashes = hashes  # file:// URL -> sha256
        self.journal = journal
        self.price = price
        self.rate_limits = rate_limits
        self.currency = currency
        self.seconds = seconds
        self.targets: list[Target] = []
        # what this run sees, for progress and the summary
        self.phase = "queued"
        self.outcome = ""  # cached | rendered | failed | expired | canceled | interrupted
        self.detail = ""
        self.task_id: str | None = None
        self.submitted_at: float | None = None
        self.expected: float | None = None
        self.polls = 0
        self.attempts = 0
        self.billed: float | None = None
        self.cost: float | None = None
        self.holds_slot = False  # one of the model's concurrent-task slots is this job's
        self.reuploaded = False  # a refused oss:// URL is uploaded again once per run
        self.create_path = "/services/aigc/video-generation/video-synthesis"  # image2video for first+last frame
        self.link: Link | None = None  # a continuing clip's source (submit/chain.py)

    @property
    def name(self) -> str:
        return ", ".join(target.label for target in self.targets)

    @property
    def seed(self) -> int | None:
        seed = (self.body.get("parameters") or {}).get("seed")
        return seed if isinstance(seed, int) else None

    def row(self) -> Row | None:
        return self.journal.get(self.hash)


class Prepared(NamedTuple):
    jobs: list[Job]
    storyboards: list[tuple[str, list[Target]]]  # each storyboard with its clips in order
    journals: list[Journal]

    def close(self) -> None:
        for journal in self.journals:
            journal.close()


class OutputError(Exception):
    """The default videos folder leads out of the storyboard's folder (a planted symlink)."""


def output_folder(storyboard: str, output: str | None, several: bool, name: str | None = None) -> str:
    """`<storyboard folder>/renders/<stem>` by default; `-o DIR` (DIR/<stem> with several storyboards, or
    DIR/`name` where two of them share a stem: `ep1/main`, `ep2/main`).

    The default must stay inside the storyboard's folder once symlinks are followed: a cloned repository
    could ship `renders` as a symlink to send the downloads anywhere. `-o` is the user's own choice.
    """
    from ..base.paths import outside

    stem = os.path.splitext(os.path.basename(storyboard))[0]
    if output:
        return os.path.abspath(os.path.join(output, name or stem) if several else output)
    home = os.path.dirname(os.path.abspath(storyboard))
    folder = os.path.join(home, "renders", stem)
    leads = outside(folder, home)
    if leads is not None:
        raise OutputError(f"`{os.path.relpath(folder)}` leads outside the storyboard's folder, to `{leads}`; "
                          "remove the symlink, or choose a folder with -o")
    return folder


def prepare(compiled: list[tuple[str, Plan, Compiled, str]], output: str | None = None,
            journals: dict[str, Journal] | None = None, create_journal: bool = True,
            offline: bool = False, record: bool = True, journal_root: str | None = None,
            takes: int | None = None) -> Prepared:
    """Jobs for every clip of the compiled storyboards ((path, plan, compiled, region) each).

    `record` False reads the journal without writing to it (`story plan`); `journal_root` puts the
    journal elsewhere (an empty scratch folder: hashes and prices only). Each clip asks for `takes`
    takes (`story render --takes`), else its `takes` setting, else one; a take the lock file records
    for the request as it compiles now is kept as well, even when fewer are asked for (it is paid for).
    """
    from ..language.load import find_root

    journals = {} if journals is None else journals
    jobs: dict[tuple[str, str], Job] = {}
    storyboards: list[tuple[str, list[Target]]] = []
    several = len(compiled) > 1
    every_part: dict[str, dict[str, str]] = {}  # storyboard (absolute) -> a scene's name -> its last part
    names = _distinct_names([path for path, *_ in compiled]) if output else {}
    for path, plan, result, region in _sources_first(compiled):
        every_part[os.path.abspath(path)] = {clip_plan.clip.name: clip_plan.name for clip_plan in plan.clips}
        folder = journal_root or journal_folder(path)
        if folder not in journals:
            journals[folder] = Journal(folder, create=create_journal, offline=offline)
        journal = journals[folder]
        out = output_folder(path, output, several, names.get(path))
        plans = {clip_plan.name: clip_plan for clip_plan in plan.clips}
        root = find_root(path)
        # LockError: a damaged lock file stops the run before anything is sent (hashes alone need none)
        lock = read_lock(lock_path(path)) if journal_root is None else None
        locked_takes = lock.every_take() if lock is not None else {}
        slots: list[list[Target]] = []
        following: list[tuple[Any, list[Target], str]] = []  # continuing clips, made once their sources are
        for clip in result.clips:
            made: list[Target] = []
            slots.append(made)
            source = continued_source(clip.body)
            if source is not None:
                following.append((clip, made, source))
                continue
            made += _clip_jobs(jobs, folder, journal, plan, plans[clip.name], clip, path, region, out, root,
                               takes, locked_takes, record, None)
        if record:
            _adopt_from_lock(path, lock, journal, [job for (f, _), job in jobs.items() if f == folder])
        parts = {clip_plan.clip.name: clip_plan.name for clip_plan in plan.clips}  # a scene: its last part
        for clip, made, source in _in_chain_order(following, parts):
            link = _link(jobs, folder, journal, clip, source, path, lock, parts, every_part, journal_root is None,
                         record)
            made += _clip_jobs(jobs, folder, journal, plan, plans[clip.name], clip, path, region, out, root,
                               takes, locked_takes, record, link)
            if record:
                _adopt_from_lock(path, lock, journal, [job for job in jobs.values() if any(t in made for t in job.targets)])
        targets = [target for made in slots for target in made]
        storyboards.append((path, targets))
        if record:
            journal.name_clips(os.path.abspath(path), {t.label: jobs_hash(jobs, folder, t) for t in targets})
    return Prepared(list(jobs.values()), storyboards, list(journals.values()))


def _clip_jobs(jobs: dict[tuple[str, str], Job], folder: str, journal: Journal, plan: Plan, clip_plan: Any,
               clip: Any, path: str, region: str, out: str, root: str, takes: int | None,
               locked_takes: dict[str, Any], record: bool, link: Link | None) -> list[Target]:
    """The jobs of one clip's takes (added to `jobs`), and its targets in take order.

    A continuing clip (`link`) counts its source's video in its identity; while that video is not made
    yet its hash is a provisional `pending:` one, which the render loop replaces (`Runner._follow`)."""
    from ..compile import media
    from ..compile.emit import request_values

    profile = plan.profile_for(clip_plan)
    clip_region = clip_plan.region or region
    values = request_values(plan, clip_plan, clip.prompt)
    position = plan.program.entry.source.position(clip_plan.clip.name_span.start)
    where = f"{path}:{position.line}:{position.column}"
    files = gated_files(local_files(clip.body, path), root, f"clip `{clip.name}` ({where})", values.get("audio_url"))
    hashes = file_hashes(files)
    model = str(clip.body.get("model", plan.model_for(clip_plan)))
    asked = takes or int(plan.settings_for(clip_plan).get("takes", 1))
    recorded = locked_takes.get(clip.name, {})
    input_seconds = media.input_seconds(plan, clip_plan)  # input video seconds, where billed
    targets: list[Target] = []
    for take in range(1, takes_range()[1] + 1):
        if take > asked and take not in recorded:
            continue
        body = take_body(clip.body, take)
        hash = identity(model, clip_region, body, hashes, link)
        if take > asked and recorded[take].request != hash:  # a take of the clip as it was
            continue
        key = (folder, hash)
        if key not in jobs:
            price = body_price(profile, clip_region, body, input_seconds)  # the body sent, as `story plan` prices it
            jobs[key] = Job(hash, model, clip_region, body, files, hashes, journal, price,
                            dict(profile.data["rate_limits"]), price.currency, price.seconds)
            jobs[key].link = link
            if profile.media is not None:  # media inputs: the model's own create path
                jobs[key].create_path = "/services/aigc/" + profile.media["path"]
            if record and not hash.startswith(PENDING):
                journal.remember(hash, model, clip_region, body)
        target = Target(path, clip.name, os.path.join(out, f"{take_label(clip.name, take)}.mp4"), where, take)
        jobs[key].targets.append(target)
        targets.append(target)
    return targets


def _distinct_names(paths: list[str]) -> dict[str, str]:
    """`-o DIR` folder names for storyboards that share a file stem (`compile.outputs.output_names`)."""
    from collections import Counter

    from ..compile.outputs import output_names

    stems = Counter(os.path.splitext(os.path.basename(path))[0] for path in paths)
    clash = [path for path in paths if stems[os.path.splitext(os.path.basename(path))[0]] > 1]
    return output_names(clash) if clash else {}


def _link(jobs: dict[tuple[str, str], Job], folder: str, journal: Journal, clip: Any, source: str, path: str,
          lock: LockFile | None, parts: dict[str, str], every_part: dict[str, dict[str, str]],
          with_locks: bool, record: bool) -> Link | None:
    """A continuing clip's source: a clip of this storyboard, or of another one (`continue "ep1.story"
    finale`) made earlier in this run or already rendered; a scene's last part; its selected take.

    A source in another storyboard with no video stops a render (`SourceNotRendered`); `story plan` and
    `story status` (`record` False) show the clip as waiting for it instead."""
    file, name = split_key(source)
    source_path, source_lock, source_name = path, lock, parts.get(source, source)
    if file is not None:
        source_path = other_storyboard(path, file)
        if os.path.abspath(source_path) not in every_part:
            try:
                elsewhere = _rendered_elsewhere(journal, clip, source_path, file, name)
            except SourceNotRendered:
                if record:
                    raise
                return Link(source, NotMadeYet(source_path, name, journal), None)
            return Link(source, elsewhere, elsewhere.entry.sha256)
        source_name = every_part[os.path.abspath(source_path)].get(name, name)
        source_lock = read_lock(lock_path(source_path)) if with_locks else None
    take = source_lock.clips[source_name].take if source_lock is not None and source_name in source_lock.clips else 1
    source_job = _source_job(jobs, folder, source_path, source_name, take)
    if source_job is None:
        return None
    return Link(source, source_job, _source_video(source_job, source_lock, source_path, source_name, take,
                                                  journal.offline))


def _source_job(jobs: dict[tuple[str, str], Job], folder: str, storyboard: str, name: str, take: int) -> Job | None:
    """The job making clip `name` of `storyboard`: its selected take's, else any take's."""
    same = os.path.abspath(storyboard)

    def finds(want_take: bool) -> Job | None:
        return next((job for (f, _), job in jobs.items() if f == folder and any(
            os.path.abspath(t.storyboard) == same and t.name == name and (t.take == take or not want_take)
            for t in job.targets)), None)

    return finds(True) or finds(False)


def _sources_first(compiled: list[tuple[str, Plan, Compiled, str]]) -> list[tuple[str, Plan, Compiled, str]]:
    """The storyboards with each one after those it continues clips of (`continue "ep1.story" finale`),
    so that their jobs exist when its continuing clips look for them; otherwise in the order given."""
    given = {os.path.abspath(path): index for index, (path, *_) in enumerate(compiled)}
    needs: dict[int, set[int]] = {}
    for index, (path, _, result, _) in enumerate(compiled):
        for clip in result.clips:
            source = continued_source(clip.body)
            file = split_key(source)[0] if source is not None else None
            other = given.get(os.path.abspath(other_storyboard(path, file))) if file is not None else None
            if other is not None and other != index:
                needs.setdefault(index, set()).add(other)
    order: list[int] = []

    def visit(index: int, seen: frozenset[int]) -> None:
        if index in order or index in seen:
            return  # a circle between files: the check reports what cannot be made
        for other in sorted(needs.get(index, ())):
            visit(other, seen | {index})
        order.append(index)

    for index in range(len(compiled)):
        visit(index, frozenset())
    return [compiled[index] for index in order]


class SourceNotRendered(SoundtrackMissing):
    """A clip continues one of another storyboard that is not in this run and has no video yet."""


def last_parts(storyboard: str) -> dict[str, str]:
    """Another storyboard's clips and scenes, each by the name its last request has (`finale-2`)."""
    from ..base.diagnostics import has_errors
    from ..compile.diagnose import checked_plan
    from ..language.load import load
    from ..models.profile import catalog

    found, planned = checked_plan(load(storyboard), catalog())
    if planned is None or has_errors(found):
        raise SourceNotRendered(f"`{storyboard}` has errors, so the clips continuing it cannot start: run "
                                f"`story check {storyboard}`")
    return {clip_plan.clip.name: clip_plan.name for clip_plan in planned.clips}


def _rendered_elsewhere(journal: Journal, clip: Any, storyboard: str, file: str, name: str) -> MadeElsewhere:
    """The source clip of another storyboard not in this run: the video its lock file selects, present with
    its recorded sha256 (made offline only for an offline run). Otherwise nothing is sent: the user renders
    that storyboard first, or both in one run."""
    from .journal import file_sha256

    parts = last_parts(storyboard)
    part = parts.get(name, name)
    lock = read_lock(lock_path(storyboard))
    entry = lock.clips.get(part) if lock is not None else None
    where = f"clip `{clip.name}` continues `{name}` in `{file}`"
    video = os.path.join(os.path.dirname(os.path.abspath(lock_path(storyboard))), *entry.video.split("/")) \
        if entry is not None else ""
    try:
        present = entry is not None and file_sha256(video) == entry.sha256
    except OSError:
        present = False
    if entry is None or not present:
        raise SourceNotRendered(f"{where}, which has no video yet: render `{storyboard}` first, or both in one "
                                f"run (`story render {storyboard} ...`)")
    if entry.emulated and not journal.offline:
        raise SourceNotRendered(f"{where}, whose video was made by the emulator: render `{storyboard}` with the "
                                "service first, or both in one run")
    return MadeElsewhere(entry, video, storyboard, part, journal)


class MadeElsewhere(Job):
    """A source video another storyboard's lock file records: done, never sent or placed by this run."""

    def __init__(self, entry: LockedClip, video: str, storyboard: str, name: str, journal: Journal) -> None:
        price = Price(None, "", entry.region, "", 0.0)
        super().__init__(entry.request, entry.model, entry.region, {}, {}, {}, journal, price, {}, "", 0.0)
        self.entry, self.video = entry, video
        self.targets.append(Target(storyboard, name, video, storyboard, entry.take))
        self.outcome = "cached"

    def row(self) -> Row | None:
        return Row(self.hash, self.model, self.region, {}, "downloaded", self.entry.task_id, None, None,
                   "SUCCEEDED", None, None, self.video, self.entry.sha256, None, None, None, 0, 0.0)


class NotMadeYet(Job):
    """The source of a continuing clip, in another storyboard, with no video yet (`story plan`, `status`)."""

    def __init__(self, storyboard: str, name: str, journal: Journal) -> None:
        super().__init__(PENDING + name, "", "", {}, {}, {}, journal, Price(None, "", "", "", 0.0), {}, "", 0.0)
        self.targets.append(Target(storyboard, name, "", storyboard))

    def row(self) -> Row | None:
        return None


class Link(NamedTuple):
    """A continuing clip's source: the clip named by `continue`, its selected take's job, that job's video
    sha256 when it is made (None until then)."""

    source: str
    job: Job
    video_sha256: str | None


def _source_video(job: Job, lock: LockFile | None, storyboard: str, clip: str, take: int, offline: bool) -> str | None:
    """The sha256 of a source's video when it is made: downloaded in the journal, or committed with the lock file."""
    if job.hash.startswith(PENDING):
        return None
    row = job.row()
    if row is not None and row.state == "downloaded" and row.sha256:
        return row.sha256
    if lock is not None and committed_video(lock, lock_path(storyboard), clip, job.hash, offline, take) is not None:
        return lock.every_take()[clip][take].sha256
    return None


def _in_chain_order(following: list[Any], parts: dict[str, str]) -> list[Any]:
    """Continuing clips with each one after the clip it continues (chain_levels)."""
    from .chain import chain_levels

    names = [clip.name for clip, _, _ in following]
    links = {clip.name: parts.get(source, source) for clip, _, source in following}
    order = [name for level in chain_levels(links, names) for name in level]
    return sorted(following, key=lambda item: order.index(item[0].name))


class LocalFileRefused(SoundtrackMissing):
    """A local file a request would read that the gate refuses (outside the project, not a regular file)."""


def gated_files(files: dict[str, str], root: str, clip: str, soundtrack: object) -> dict[str, str]:
    """`file://` URL -> real path, each through the one gate (`base.paths.request_file`).

    The message says where the URL came from: the clip's soundtrack, or else a project template.
    """
    from ..base.paths import FileProblem, request_file

    gated = {}
    for url, path in files.items():
        origin = f"{clip}: its soundtrack" if url == soundtrack else f"{clip}: a project template's `{url}`"
        try:
            gated[url] = request_file(path, root, origin)
        except FileProblem as problem:
            raise LocalFileRefused(str(problem)) from None
    return gated


def jobs_hash(jobs: dict[tuple[str, str], Job], folder: str, target: Target) -> str:
    for (where, hash), job in jobs.items():
        if where == folder and target in job.targets:
            return hash
    raise KeyError(target.name)


def _adopt_from_lock(storyboard: str, lock: LockFile | None, journal: Journal, jobs: list[Job]) -> None:
    """A video the lock file names, present with its sha256, for a request the journal has not seen done.

    A teammate who has the lock file and the videos (but no journal) pays nothing again. The lock file
    was validated when read (`read_lock`): its video paths stay inside its folder and name regular files.
    """
    if lock is None:
        return
    for job in jobs:
        row = job.row()
        if row is None or row.state != "new":
            continue
        for target in job.targets:
            video = committed_video(lock, lock_path(storyboard), target.name, job.hash, job.journal.offline,
                                    target.take)
            if video is None:
                continue
            locked = lock.every_take()[target.name][target.take]
            journal.adopt_download(job.hash, locked.task_id, video, locked.sha256, os.path.getsize(video),
                                   {"duration": locked.seconds_billed})
            break


def clip_state(row: Row | None, resubmit_expired: bool = False) -> str:
    """How `story plan` and `story status` name a request's state: cached, in flight, expired, to submit."""
    if row is None:
        return "to submit"
    if row.state in ("downloaded", "succeeded"):
        return "cached"
    if row.state in ("creating", "submitted"):
        return "in flight"
    if row.state == "expired":
        return "to submit" if resubmit_expired else "expired"
    return "to submit"


def storyboard_lock(storyboard: str, targets: list[Target], jobs: list[Job]) -> LockFile:
    """The lock file of one storyboard: its clips' takes whose videos are downloaded, what they cost,
    and the take each clip selects (the previous lock file's select while that take is still there).

    Takes not (yet) rendered keep the entry the previous lock file had for the same request, if any.
    """
    from .journal import file_sha256

    path = lock_path(storyboard)
    folder = os.path.dirname(os.path.abspath(path))
    previous = read_lock(path)  # LockError: never replace a lock file that cannot be read
    by_target = {id(target): job for job in jobs for target in job.targets}
    before = previous.every_take() if previous else {}
    clips: dict[str, dict[int, LockedClip]] = {}
    for target in targets:
        job = by_target.get(id(target))
        if job is None:
            continue
        row = job.row()
        if row is None or row.state != "downloaded" or not row.task_id or not row.sha256:
            old = before.get(target.name, {}).get(target.take)
            if old is not None and old.request == job.hash:
                clips.setdefault(target.name, {})[target.take] = old
            continue
        video = target.path if os.path.exists(target.path) else (row.video or target.path)
        relative = os.path.relpath(video, folder).replace(os.sep, "/")
        if relative.startswith("../"):  # `-o` elsewhere: not a file the lock file (and git) can carry
            continue
        try:
            sha = file_sha256(video)
        except OSError:
            continue
        seconds = billed_seconds(row.usage or {})
        clips.setdefault(target.name, {})[target.take] = LockedClip(
            request=job.hash, model=job.model, region=job.region, seed=job.seed, task_id=row.task_id,
            video=relative, sha256=sha, seconds_billed=seconds,
            cost=cost_of(job.price, seconds), currency=job.currency, emulated=job.journal.offline,
            take=target.take,
        )
    selects = {name: entry.take for name, entry in previous.clips.items()} if previous else {}
    return lock_with_takes(os.path.relpath(os.path.abspath(storyboard), folder).replace(os.sep, "/"), clips,
                           selects)
