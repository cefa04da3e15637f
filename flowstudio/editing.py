"""What the browser editor does to flows: create, draft, publish, rename, delete, history.

Drafts and revisions live in the database (`FlowStore`); the YAML file in the flows
folder is rewritten, in canonical form, each time a flow is published, so the file in
git is always the published version and a publish is a small diff. Every change that
starts from a version names it, and a change based on a stale version is refused with
`EditError(409)` ("this flow changed elsewhere"), never applied on top.
"""
from __future__ import annotations

import difflib
import hashlib
import os
import secrets
import threading
from datetime import datetime
from pathlib import Path

from .adapters.flowstore import FlowStore, Stale
from .repository import FLOW_ID, FlowRepository
from .spec.flowfile import dump_flow, load_flow_file, load_flow_text, read_flow_bytes, write_atomic
from .spec.issues import FlowLoadError, Issue
from .spec.migrations import CURRENT_VERSION
from .spec.studio import StudioFormatError, from_studio, unwrap_export
from .spec.validate import validate_data, validate_document
from .spec.yamlio import dump_yaml, load_yaml
from .flowtests import rename_widgets
from .widgets import registry

EXAMPLES_DIR = Path(__file__).parent / "examples"
CACHE_SIZE = 16
STALE = "this flow changed elsewhere (published from another window, or its file changed on disk)"


class EditError(Exception):
    """An edit the editor cannot make: `status` is the HTTP status, `field` the input at fault,
    `extra` more JSON for the answer (the issues of a refused publish, the current flow of a 409)."""

    def __init__(self, status: int, message: str, field: str | None = None, **extra):
        super().__init__(message)
        self.status, self.message, self.field, self.extra = status, message, field, extra


def _flow_name(name) -> str | None:
    """A flow's name as typed (what people read), trimmed; None when none was given.
    Any text: it is not the id, which stays the file name and the webhook URL."""
    if name is None:
        return None
    if not isinstance(name, str) or not name.strip():
        raise EditError(400, "a flow's name is text of 1 to 200 characters", "name")
    name = " ".join(name.split())   # one line: it is shown as a title
    if len(name) > 200:
        raise EditError(400, "a flow's name is text of 1 to 200 characters", "name")
    return name


def blank_flow(name: str) -> dict:
    """A new flow: only the Trigger, placed at the top of the canvas."""
    return {"spec_version": CURRENT_VERSION, "name": name, "description": "",
            "widgets": [{"name": "Trigger", "type": "trigger",
                         "transitions": {"incomingMessage": None, "incomingCall": None, "incomingRequest": None}}],
            "ui": {"Trigger": {"x": 0, "y": 0}}}


class FlowEditor:
    """Edits of the flows in `repository`'s folder, with `clock` for timestamps."""

    def __init__(self, repository: FlowRepository, clock):
        self.flows = repository
        self.history = FlowStore(repository.store)
        self.clock = clock
        self._cache: dict = {}
        self._documents: dict = {}   # flow id -> (what it was read from, (document, issues))
        self._cache_lock = threading.Lock()

    # ------------------------------------------------------------ reading

    def summary(self, flow_id: str) -> dict:
        """The flow-list row of a flow: name, validity, published revision, draft."""
        document, issues, latest = self._published_document(flow_id)
        draft = self.history.draft(flow_id)
        if draft is not None and self._is_published(flow_id, draft.data):
            draft = None   # saved before this check existed: the same content is no unpublished change
        return {"id": flow_id, "name": (document or {}).get("name", flow_id),
                "description": (document or {}).get("description", ""), "subflows": _subflows(document),
                "valid": not any(i.is_error for i in issues), "issues": issues,
                "published": _revision(latest, latest.id) if latest else None,
                "draft": _draft(draft)}

    def get(self, flow_id: str, with_yaml: bool = False) -> dict:
        """The flow as the editor opens it: the draft if there is one, else the published
        document, and its problems; with `with_yaml`, also its canonical YAML (which costs
        more than everything else for a big flow: the editor does not need it to open)."""
        self._require(flow_id)
        published, issues, latest = self._published_document(flow_id)
        draft = self.history.draft(flow_id)
        document = draft.data if draft is not None else published
        if draft is not None:
            issues = self._draft_issues(flow_id, draft)
        return {"id": flow_id, "name": (document or {}).get("name", flow_id),
                "published": _revision(latest, latest.id) if latest else None, "draft": _draft(draft),
                "document": document, "issues": issues, **({"yaml": _yaml(document)} if with_yaml else {})}

    def status(self, flow_id: str) -> dict:
        """Just enough to tell whether the flow changed elsewhere: cheap, for polling."""
        self._require(flow_id)
        self.flows.problems(flow_id)   # a file changed on disk becomes a revision now
        latest = self._latest(flow_id)
        draft = self.history.draft(flow_id)
        return {"published": {"id": latest.id, "number": latest.number} if latest else None,
                "draft": {"version": draft.version, "updated_at": _iso(draft.updated_at)} if draft else None}

    def validate(self, document) -> list[Issue]:
        """The validator's issues for a document from the editor (nothing stored)."""
        _check_document(document)
        # The folder's flows, read as needed: subflows are looked through, Studio SIDs resolve.
        return validate_data(document, self.flows.index())   # the flows this server serves

    def revisions(self, flow_id: str) -> list[dict]:
        """The flow's published revisions, newest first; the newest is live."""
        rows = self.history.revisions(flow_id)
        if not rows and not self.flows.exists(flow_id):
            raise EditError(404, f"no flow '{flow_id}'")
        live = rows[0].id if rows else None
        return [_revision(r, live) for r in rows]

    def revision(self, flow_id: str, number: int) -> dict:
        """One revision with its document and YAML."""
        row = self.history.revision_number(flow_id, number)
        if row is None:
            raise EditError(404, f"flow '{flow_id}' has no revision {number}")
        return {"revision": _revision(row, self._latest_id(flow_id)), "document": row.data, "yaml": _yaml(row.data)}

    def diff(self, flow_id: str, old: str, new: str) -> dict:
        """A unified diff, line by line, between two revisions (numbers) or a revision
        and "draft", of their canonical YAML."""
        lines_old, lines_new = self._text(flow_id, old, "from"), self._text(flow_id, new, "to")
        return {"from": old, "to": new, "lines": _diff_lines(lines_old, lines_new)}

    # ------------------------------------------------------------ drafts

    def save_draft(self, flow_id: str, document, *, version: int, base_revision: str | None,
                   author: str) -> dict:
        """Autosave: store the document as the draft and return the draft and its issues."""
        self._require(flow_id)
        issues = self.validate(document)
        document = in_event_order(document)
        try:
            self.history.save_draft(flow_id, document, self.clock(), version=_version(version),
                                    base_revision=base_revision or None, author=author,
                                    unchanged=self._is_published(flow_id, document))
        except Stale:
            raise self._stale(flow_id) from None
        return {"draft": _draft(self.history.draft(flow_id)), "issues": issues}

    def discard_draft(self, flow_id: str) -> None:
        """Forget the draft: the editor shows the published version again."""
        self._require(flow_id)
        self.history.discard_draft(flow_id)

    def publish(self, flow_id: str, *, version: int, message: str, author: str) -> dict:
        """Make the draft the version webhooks run: record a revision, rewrite the file."""
        self._require(flow_id)
        draft = self.history.draft(flow_id)
        if draft is None:
            raise EditError(409, "there are no unpublished changes to publish", "version")
        if draft.version != _version(version):
            raise self._stale(flow_id)
        if self._is_published(flow_id, draft.data):
            raise EditError(409, "there are no unpublished changes to publish: the draft is the live version",
                            "version")
        self._check_publishable(draft.data)
        before = self.flows.store.latest_revision(flow_id)
        self._publish(flow_id, draft.data, author=author, message=message or "Published from the editor",
                      base=draft.base_revision, draft_version=draft.version)
        if before is not None:
            self._follow_renames(flow_id, renamed_widgets(before.data, draft.data))
        return self.get(flow_id)

    def _follow_renames(self, flow_id: str, renames: dict[str, str]) -> None:
        """The flow's tests name widgets (`waiting: ask_size`): a published rename
        rewrites them, so `flowstudio test` keeps passing."""
        path = tests_path(self.flows.path(flow_id))
        if not renames or not path.exists():
            return
        try:
            spec = load_yaml(path.read_bytes(), str(path)).data
        except (FlowLoadError, OSError):
            return   # a broken tests file is reported by `flowstudio test`, not fixed here
        if isinstance(spec, dict) and rename_widgets(spec, renames):
            write_atomic(path, dump_yaml(spec))

    def restore(self, flow_id: str, number: int, *, version: int, author: str) -> dict:
        """Put an old revision's document into the draft (publish to make it live)."""
        row = self.history.revision_number(flow_id, number)
        if row is None:
            raise EditError(404, f"flow '{flow_id}' has no revision {number}")
        current = self.history.draft(flow_id)
        base = current.base_revision if current is not None else self._latest_id(flow_id)
        try:
            self.history.save_draft(flow_id, row.data, self.clock(), version=_version(version), base_revision=base,
                                    author=author, unchanged=base == self._latest_id(flow_id)
                                    and self._is_published(flow_id, row.data))
        except Stale:
            raise self._stale(flow_id) from None
        return {"draft": _draft(self.history.draft(flow_id)), "document": row.data}

    # ------------------------------------------------------------ files

    def create(self, new_id: str, *, name: str | None = None, example: str | None = None,
               copy_of: str | None = None, studio=None, author: str) -> dict:
        """A new flow file: blank, a copy of an example, a duplicate of a flow, or a flow
        exported from Twilio Studio (`studio`: its JSON definition). Of two creates of one
        id at once, exactly one wins; the other gets 409."""
        self._check_id_form(new_id)
        name = _flow_name(name)
        if studio is not None:
            return self._import_studio(new_id, studio, name=name, author=author)
        if example:
            path = EXAMPLES_DIR / f"{example}.yaml"
            if not FLOW_ID.fullmatch(example) or not path.is_file():
                raise EditError(404, f"no example '{example}'", "example")
            document, message = load_flow_file(path).data, f"Created from the example '{example}'"
        elif copy_of:
            self._require(copy_of, "copy_of")
            original = self.get(copy_of)
            document = original["document"]
            if not isinstance(document, dict):   # its file does not load: nothing to copy
                first = next((i.message for i in original["issues"] if i.is_error), "it does not load")
                raise EditError(422, f"'{copy_of}' cannot be duplicated until its file loads: {first}", "copy_of")
            message = f"Duplicated from '{copy_of}'"
        else:
            document, message = blank_flow(name or new_id), "Created"
        document = {**document, "name": name or (new_id if (example or copy_of) else document["name"])}
        with self._lifecycle():
            self._check_new_id(new_id)
            self._archive_leftovers(new_id)
            self._publish(new_id, document, author=author, message=message, base=None, draft_version=None)
        return self.get(new_id)

    def _import_studio(self, new_id: str, definition, *, name: str | None, author: str) -> dict:
        """A Studio definition as a new flow: a blank flow is published (version 1), the
        imported flow is its draft. Webhooks run it only once it is reviewed and published,
        and one with problems still opens (the editor lists them) instead of being refused."""
        definition, sid = unwrap_export(definition)
        try:
            flow = from_studio(definition, name or new_id)
        except StudioFormatError as exc:
            raise EditError(400, f"this is not a flow exported from Twilio Studio: {exc}", "studio") from None
        flow.sid = sid   # kept, as import-studio does: Run Subflow widgets name flows by SID
        document = flow.to_data()
        with self._lifecycle():
            self._check_new_id(new_id)
            self._archive_leftovers(new_id)
            self._publish(new_id, blank_flow(name or new_id), author=author, message="Created", base=None,
                          draft_version=None)
            self.history.save_draft(new_id, in_event_order(document), self.clock(), version=0,
                                    base_revision=self._latest_id(new_id), author=author)
        return self.get(new_id)

    def create_document(self, new_id: str, document: dict, *, author: str, message: str) -> dict:
        """A new flow file holding `document` as its first revision (Studio's API
        creates flows from a definition); refused like `publish_document` when invalid."""
        self._check_new_id(new_id)   # again under the lock below: of two at once, one wins
        self._check_publishable(document)
        with self._lifecycle():
            self._check_new_id(new_id)
            self._archive_leftovers(new_id)
            self._publish(new_id, document, author=author, message=message, base=None, draft_version=None)
        return self.get(new_id)

    def publish_document(self, flow_id: str, document: dict, *, author: str, message: str) -> dict:
        """Publish `document` as the flow's new revision straight away (any draft is
        dropped: this document supersedes it); EditError(422) with the issues when it
        has errors."""
        self._require(flow_id)
        self._check_publishable(document)
        self._publish(flow_id, document, author=author, message=message, base=self._latest_id(flow_id),
                      draft_version=None)
        return self.get(flow_id)

    def _check_publishable(self, document) -> None:
        errors = [i for i in self.validate(document) if i.is_error]
        if errors:
            raise EditError(422, f"fix the {len(errors)} problem(s) in this flow before publishing",
                            issues=[i.to_dict() for i in errors])

    def rename(self, flow_id: str, new_id: str | None = None, *, name: str | None = None,
               author: str = "editor") -> dict:
        """Give a flow a new name (what people read: the flows list, the editor's title), a
        new id (its file name and webhook URL), or both; each change is recorded as a
        revision. Moving to a new id takes the flow's tests (`<id>.test.yaml`), history,
        draft and executions along, and the old webhook URL answers 404; without `name`, a
        name that was the old id becomes the new id. The name alone leaves the URL as it is."""
        name = _flow_name(name)
        if new_id is None or new_id == flow_id:
            if name is None:
                raise EditError(400, "give the flow's new name ('name') or new id ('id')", "name")
            with self._lifecycle():
                self._require(flow_id, fresh=True)
                if self.flows.problems(flow_id):   # (publishes a change made on disk first)
                    raise EditError(409, f"{self.flows.path(flow_id).name} has problems, so its name cannot be "
                                         "changed: fix them first", "name")
                self._rename_document(flow_id, name, author=author, message=f"Name changed to '{name}'")
            return self.get(flow_id)
        self._check_id_form(new_id)
        with self._lifecycle():
            self._require(flow_id, fresh=True)
            self._check_new_id(new_id)
            old_path, new_path = self.flows.path(flow_id), self.flows.path(new_id)
            old_tests, new_tests = tests_path(old_path), tests_path(new_path)
            if new_tests.exists():
                raise EditError(409, f"{new_tests.name} already exists: move it away or pick another id", "id")
            in_sync = not self.flows.problems(flow_id)   # publishes a change made on disk first
            if name is not None and not in_sync:
                raise EditError(409, f"{old_path.name} has problems, so its name cannot be changed: fix them "
                                     "first, or change only its id", "name")
            self._archive_leftovers(new_id)
            try:
                self.history.move_history(flow_id, new_id)
            except Stale:
                raise EditError(409, f"a flow named '{new_id}' already exists", "id") from None
            self.flows.forget(flow_id)
            latest = self.flows.store.latest_revision(new_id)
            if name is None and latest is not None and latest.data.get("name") == flow_id:
                name = new_id
            if in_sync and latest is not None and name is not None and name != latest.data.get("name"):
                self._rename_document(new_id, name, author=author, message=f"Renamed from '{flow_id}' to '{new_id}'")
                old_path.unlink()
            else:
                os.link(old_path, new_path)   # the file as it is (perhaps with problems being fixed)
                old_path.unlink()
            if old_tests.exists():
                _move_tests(old_tests, new_tests, flow_id, new_id)
            self.flows.forget(flow_id)
            self.flows.forget(new_id)
        return self.get(new_id)

    def _rename_document(self, flow_id: str, name: str, *, author: str, message: str) -> None:
        """Publish the newest revision of `flow_id` under a new name, and give the draft
        (if any) that name too, so the name is not an unpublished change to publish."""
        latest = self.flows.store.latest_revision(flow_id)
        if latest is None or latest.data.get("name") == name:
            return
        self._publish(flow_id, {**latest.data, "name": name}, author=author, base=latest.id, message=message,
                      draft_version=None, keep_draft=True)
        self.history.set_draft_name(flow_id, name, from_base=latest.id, to_base=self._latest_id(flow_id))

    def delete(self, flow_id: str) -> None:
        """Delete the flow's file and its tests. Its history (revisions, draft, executions)
        is archived under `<id>.deleted.<time>`: a new flow that reuses the id starts with
        an empty history at version 1, and conversations in progress finish as they were."""
        with self._lifecycle():
            self._require(flow_id, fresh=True)
            path = self.flows.path(flow_id)
            path.unlink()
            tests_path(path).unlink(missing_ok=True)
            self._archive_leftovers(flow_id)
            self.flows.forget(flow_id)

    @staticmethod
    def examples() -> list[dict]:
        """The example flows a new flow can start from."""
        out = []
        for path in sorted(EXAMPLES_DIR.glob("*.yaml")):
            if path.name.endswith(".test.yaml"):
                continue
            try:
                data = load_flow_file(path).data
            except FlowLoadError:
                continue
            out.append({"id": path.stem, "name": data.get("name", path.stem),
                        "description": (data.get("description") or "").strip()})
        return out

    # ------------------------------------------------------------ inside

    def _publish(self, flow_id: str, document: dict, *, author: str, message: str, base: str | None,
                 draft_version: int | None, keep_draft: bool = False) -> None:
        # The database first, then the file: if the process dies in between, the file is
        # merely behind and the repository catches it up at the next start.
        text = dump_flow(document)
        sha = hashlib.sha256(text.encode()).hexdigest()
        try:
            self.history.publish(flow_id, sha, document, self.clock(), author=author, message=message,
                                 base_revision=base, draft_version=draft_version, keep_draft=keep_draft)
        except Stale:
            raise self._stale(flow_id) from None
        write_atomic(self.flows.path(flow_id), text)
        self.flows.forget(flow_id)

    def _published_document(self, flow_id: str) -> tuple[dict | None, list[Issue], object]:
        """The document the flow's file holds (or the newest revision when the file is
        behind or unreadable), its problems, and the newest revision's row (or None).
        Kept per flow until the file (its stat), the newest revision or the set of flows
        changes: listing a hundred flows, some of them huge, reads none of them again."""
        self.flows.problems(flow_id)   # brings the database up to date with the file
        path = self.flows.path(flow_id)
        try:
            st = path.stat()
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            stamp = None
        latest = self._latest(flow_id)
        ids = self.flows.ids()
        key = (stamp, latest.id if latest else None, tuple(ids))
        with self._cache_lock:
            slot = self._documents.get(flow_id)
        if slot is not None and slot[0] == key:
            return slot[1][0], slot[1][1], latest
        value = self._read_published(flow_id, path, latest)
        with self._cache_lock:
            self._documents[flow_id] = (key, value)
        return value[0], value[1], latest

    def _read_published(self, flow_id, path, latest) -> tuple[dict | None, list[Issue]]:
        try:
            raw = read_flow_bytes(path)
            doc = load_flow_text(raw, str(path))
        except FlowLoadError as exc:
            return (self.flows.store.revision(latest.id).data if latest else None), exc.issues
        sha = hashlib.sha256(raw).hexdigest()
        if latest is not None and latest.sha256 != sha and self.history.known_sha(flow_id, sha):
            data = self.flows.store.revision(latest.id).data   # the file may be behind another machine's publish
            return data, validate_data(data, self.flows.index())
        return doc.data, validate_document(doc, self.flows.index())   # with the file's line numbers

    def _draft_issues(self, flow_id: str, draft) -> list[Issue]:
        key = ("draft", flow_id, draft.version, draft.updated_at, frozenset(self.flows.ids()))
        return self._cached(key, lambda: self.validate(draft.data))

    def _cached(self, key, compute):
        """`compute()` once per key; a few recent keys kept (results are never mutated)."""
        with self._cache_lock:
            if key in self._cache:
                return self._cache[key]
        value = compute()
        with self._cache_lock:
            self._cache[key] = value
            while len(self._cache) > CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
        return value

    def _text(self, flow_id: str, which: str, field: str) -> list[str]:
        if which == "draft":
            # The flow as it is being edited: the draft, or, with none, the live version.
            draft = self.history.draft(flow_id)
            if draft is not None:
                text = _yaml(draft.data)
                if text is None:
                    raise EditError(422, "the draft cannot be written as a flow file yet (a widget's name or type "
                                         "is not text): fix the problems it lists, then compare again", field)
                return text.splitlines()
            latest = self.flows.store.latest_revision(flow_id)
            if latest is None:
                raise EditError(404, "this flow has no draft and no published version", field)
            return _yaml(latest.data).splitlines()
        try:
            number = int(which)
        except ValueError:
            raise EditError(400, f"'{which}' is neither a revision number nor 'draft'", field) from None
        return self.revision(flow_id, number)["yaml"].splitlines()

    def _is_published(self, flow_id: str, document) -> bool:
        """Whether `document` is, in content, the flow's newest revision (the same data,
        whatever the order of keys): then there is nothing unpublished, whatever edits
        led there. (Data, not canonical YAML: writing YAML costs seconds for a big flow,
        and every autosave asks.)"""
        live_id = self._latest_id(flow_id)
        if live_id is None:
            return False
        live = self._cached(("live-data", live_id), lambda: self.flows.store.revision(live_id).data)
        return isinstance(document, dict) and in_event_order(document) == live

    def _latest(self, flow_id: str):
        rows = self.history.revisions(flow_id, limit=1)
        return rows[0] if rows else None

    def _latest_id(self, flow_id: str) -> str | None:
        return self.flows.store.latest_revision_id(flow_id)

    def _require(self, flow_id: str, field: str | None = None, fresh: bool = False) -> None:
        # `fresh`: look at the folder now, not at what exists() saw up to a second ago
        # (another process may have just renamed or deleted the flow).
        if not FLOW_ID.fullmatch(flow_id or "") or not (
                self.flows.path(flow_id).is_file() if fresh else self.flows.exists(flow_id)):
            raise EditError(404, f"no flow '{flow_id}'", field)

    @staticmethod
    def _check_id_form(new_id, field: str = "id") -> None:
        if not isinstance(new_id, str) or not FLOW_ID.fullmatch(new_id) or new_id.endswith(".test"):
            raise EditError(400, "a flow id is 1 to 100 letters, digits, '-' or '_', starting with a letter or "
                                 "digit (it becomes the file name and the webhook URL)", field)

    def _check_new_id(self, new_id, field: str = "id") -> None:
        self._check_id_form(new_id, field)
        if self.flows.path(new_id).exists():
            raise EditError(409, f"a flow named '{new_id}' already exists", field)

    def _lifecycle(self):
        """Held while a flow is created, renamed or deleted: by one thread of one process
        at a time (the store's lock spans processes), so two of them never both find an
        id free, or both move one flow."""
        return self.flows.store.locked("flowstudio:flow-lifecycle")

    def _archive_leftovers(self, flow_id: str) -> None:
        """Move any history recorded under `flow_id` (a flow deleted here, or whose file
        was deleted by hand) to `<id>.deleted.<time>`, so the id starts afresh."""
        if self.history.has_history(flow_id):
            now = self.clock()
            stamp = now.strftime("%Y%m%dT%H%M%S%f")
            self.history.move_history(flow_id, f"{flow_id}.deleted.{stamp}.{secrets.token_hex(2)}", deleted_at=now)
        self.flows.forget(flow_id)

    def _stale(self, flow_id: str) -> EditError:
        return EditError(409, STALE, "version", current=_jsonable(self.get(flow_id)))


def renamed_widgets(old: dict, new: dict) -> dict[str, str]:
    """Widgets renamed between two versions of a flow, {old name: new name}: a widget gone
    and one come of the same type, at the same place on the canvas or with the same
    settings (the editor's rename keeps both). Ambiguous pairs are left out."""
    def widgets(doc):
        return {w["name"]: w for w in doc.get("widgets", []) if isinstance(w, dict) and isinstance(w.get("name"), str)}

    before, after = widgets(old), widgets(new)
    gone = [n for n in before if n not in after]
    come = [n for n in after if n not in before]
    ui_old, ui_new = old.get("ui") or {}, new.get("ui") or {}
    out: dict[str, str] = {}
    for name in gone:
        w = before[name]
        same = [n for n in come if after[n].get("type") == w.get("type") and n not in out.values() and (
            (ui_old.get(name) is not None and ui_old.get(name) == ui_new.get(n))
            or (after[n].get("properties") or {}) == (w.get("properties") or {}))]
        if len(same) == 1:
            out[name] = same[0]
    return out


def _subflows(document) -> list[str]:
    """The ids of the flows a document's Run Subflow widgets run (written out, not templated)."""
    out: list[str] = []
    for w in (document or {}).get("widgets") or []:
        target = (w.get("properties") or {}).get("flow_sid") if isinstance(w, dict) and w.get("type") == "run-subflow" \
            else None
        if isinstance(target, str) and target and "{" not in target and target not in out:
            out.append(target)
    return out


def tests_path(flow_path: Path) -> Path:
    """The flow tests' file beside a flow file: `<id>.test.yaml`."""
    return flow_path.with_name(flow_path.stem + ".test.yaml")


def _move_tests(old: Path, new: Path, old_id: str, new_id: str) -> None:
    """Move a flow's tests with it; a `flow:` naming the old id names the new one."""
    try:
        spec = load_yaml(old.read_bytes(), str(old)).data
    except (FlowLoadError, OSError):
        spec = None
    if isinstance(spec, dict) and spec.get("flow") == old_id:
        write_atomic(new, dump_yaml({**spec, "flow": new_id}))
        old.unlink()
    else:
        os.link(old, new)
        old.unlink()


def _check_document(document) -> None:
    if not isinstance(document, dict) or not isinstance(document.get("widgets"), list):
        raise EditError(400, "the document must be a flow: an object with a 'widgets' list", "document")


def in_event_order(document: dict) -> dict:
    """The document with each widget's transitions in the catalog's event order: the
    canvas adds connections in the order people draw them, and the file should not
    change because of it. (Only the editor does this: an imported file keeps its order.)"""
    widgets = []
    for w in document.get("widgets", []):
        spec = registry.get(w.get("type")) if isinstance(w, dict) else None
        t = w.get("transitions") if spec else None
        if isinstance(t, dict):
            known = [e for e in spec.event_names if e in t]
            w = {**w, "transitions": {e: t[e] for e in known + [e for e in t if e not in known]}}
        widgets.append(w)
    return {**document, "widgets": widgets}


def _version(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise EditError(400, "version must be the draft version the edit started from (0 when there is none)",
                        "version")
    return value


def _yaml(document) -> str | None:
    try:
        return dump_flow(document)
    except Exception:   # a draft may be half-made; the editor still opens it
        return None


def _revision(row, live: str | None) -> dict:
    return {"id": row.id, "number": row.number, "author": row.author, "message": row.message,
            "created_at": _iso(row.created_at), "current": row.id == live}


def _draft(row) -> dict | None:
    if row is None:
        return None
    return {"version": row.version, "base_revision": row.base_revision, "author": row.author,
            "updated_at": _iso(row.updated_at)}


def _iso(value: datetime | None) -> str | None:
    from .adapters.store import utc
    return utc(value).isoformat() if value else None


def _jsonable(flow: dict) -> dict:
    return {**flow, "issues": [i.to_dict() for i in flow["issues"]]}


def _diff_lines(old: list[str], new: list[str]) -> list[dict]:
    """Unified-diff hunks as rows: op " ", "-", "+" or "@" (a hunk header), with line numbers."""
    out: list[dict] = []
    for group in difflib.SequenceMatcher(None, old, new, autojunk=False).get_grouped_opcodes(3):
        first, last = group[0], group[-1]
        out.append({"op": "@", "text": f"@@ -{first[1] + 1},{last[2] - first[1]} +{first[3] + 1},{last[4] - first[3]} @@",
                    "old": None, "new": None})
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [{"op": " ", "text": old[i], "old": i + 1, "new": j1 + i - i1 + 1} for i in range(i1, i2)]
                continue
            if tag in ("replace", "delete"):
                out += [{"op": "-", "text": old[i], "old": i + 1, "new": None} for i in range(i1, i2)]
            if tag in ("replace", "insert"):
                out += [{"op": "+", "text": new[j], "old": None, "new": j + 1} for j in range(j1, j2)]
    return out
