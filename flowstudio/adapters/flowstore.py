"""Flow revisions and editor drafts in SQL: what the editor saves and publishes.

A revision is a published version; the newest revision of a flow is the one new
executions run, in every process. A draft is the editor's unpublished document, one per
flow, with a version number that grows with each save: a save or publish that names a
stale version (or a stale base revision) raises `Stale`, so two editors never silently
overwrite each other.

A snapshot is a document the browser's test-run console ran (usually the draft), kept
by content so console executions can pin it the way others pin a revision.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from . import campaignschema
from .campaignstore import CANCELLABLE
from . import schema as t
from .store import Store, revision_id


MAX_NUMBER = 2**31 - 1   # revision numbers are 32-bit integers in the database


class Stale(Exception):
    """The draft or the published revision changed since the caller last read them."""


class FlowStore:
    """Revisions and drafts of flows, in the same database as the executions."""

    def __init__(self, store: Store):
        self.store = store
        self.engine = store.engine

    # ------------------------------------------------------------ revisions

    def revisions(self, flow_id: str, limit: int | None = None) -> list:
        """The revisions of a flow, newest first (without their documents); all of them,
        or the newest `limit`."""
        c = t.revisions.c
        with self.engine.connect() as conn:
            return conn.execute(select(c.id, c.flow_id, c.number, c.sha256, c.created_at, c.author, c.message)
                                .where(c.flow_id == flow_id).order_by(c.number.desc()).limit(limit)).all()

    def revision_number(self, flow_id: str, number: int):
        """One revision (with its document) by its number, or None."""
        if not 0 < number <= MAX_NUMBER:
            return None   # no such revision; and the databases refuse a number this big (500s)
        c = t.revisions.c
        with self.engine.connect() as conn:
            return conn.execute(select(t.revisions).where(c.flow_id == flow_id, c.number == number)).first()

    def known_sha(self, flow_id: str, sha256: str) -> bool:
        """Whether some revision of the flow has exactly this file content."""
        c = t.revisions.c
        with self.engine.connect() as conn:
            return conn.execute(select(c.id).where(c.flow_id == flow_id, c.sha256 == sha256).limit(1)).first() \
                is not None

    def publish(self, flow_id: str, sha256: str, data: dict, now: datetime, *, author: str, message: str,
                base_revision: str | None, draft_version: int | None, keep_draft: bool = False) -> str:
        """Record `data` as the flow's new published revision and drop the draft (unless
        `keep_draft`), in one transaction. Raises Stale when the newest revision is not
        `base_revision` or the draft is not at `draft_version` (None: no draft expected
        to be checked)."""
        try:
            with self.store._write() as conn:
                latest = self._newest(conn, flow_id)
                if (latest.id if latest else None) != base_revision:
                    raise Stale(flow_id)
                if draft_version is not None:
                    current = self._draft_version(conn, flow_id)
                    if current != draft_version:
                        raise Stale(flow_id)
                number = (latest.number if latest else 0) + 1
                rev_id = revision_id(conn, flow_id, number)
                conn.execute(insert(t.revisions).values(id=rev_id, flow_id=flow_id, number=number, sha256=sha256,
                                                        data=data, created_at=now, author=author, message=message))
                if not keep_draft:
                    conn.execute(delete(t.drafts).where(t.drafts.c.flow_id == flow_id))
        except IntegrityError:  # another process published the same number first
            raise Stale(flow_id) from None
        return rev_id

    def move_history(self, from_id: str, to_id: str, deleted_at: datetime | None = None) -> None:
        """Give flow `to_id` the revisions, draft, console snapshots, executions and
        campaigns of `from_id` (a rename, or the archive of a deleted flow): history
        belongs to the flow, not to its name. Rows keep their ids, and a revision stays
        loadable under the id it was minted for (repository.minted_for), so executions in
        progress go on running the document they started on. A campaign goes on with the
        renamed flow; a deleted flow's (`deleted_at` given) is cancelled in the same
        transaction, so it sends nothing more (its contacts not yet sent would each fail:
        the flow is gone) and never starts a new flow given its id. Raises Stale if
        `to_id` has a history."""
        with self.store._write() as conn:
            c = t.revisions.c
            if conn.execute(select(c.id).where(c.flow_id == to_id).limit(1)).first() is not None:
                raise Stale(to_id)
            for table in (t.revisions, t.drafts, t.snapshots, t.executions, campaignschema.campaigns):
                conn.execute(update(table).where(table.c.flow_id == from_id).values(flow_id=to_id))
            if deleted_at is not None:
                cs = campaignschema.campaigns.c
                conn.execute(update(campaignschema.campaigns)
                             .where(cs.flow_id == to_id, cs.status.in_(CANCELLABLE))
                             .values(status="cancelled", updated_at=deleted_at))

    def has_history(self, flow_id: str) -> bool:
        """Whether any revision, draft or campaign is recorded under `flow_id` (a campaign
        may be made before the flow's first revision is)."""
        with self.engine.connect() as conn:
            return any(conn.execute(select(table.c.flow_id).where(table.c.flow_id == flow_id).limit(1)).first()
                       for table in (t.revisions, t.drafts, campaignschema.campaigns))

    def set_draft_name(self, flow_id: str, name: str, *, from_base: str | None, to_base: str) -> None:
        """A rename's new name in the draft: rebased onto the rename's revision when it was
        based on the revision before it (else left stale, so its editor is asked)."""
        with self.store._write() as conn:
            row = conn.execute(select(t.drafts).where(t.drafts.c.flow_id == flow_id)).first()
            if row is None:
                return
            values = {"data": {**row.data, "name": name}, "version": row.version + 1}
            if row.base_revision == from_base:
                values["base_revision"] = to_base
            conn.execute(update(t.drafts).where(t.drafts.c.flow_id == flow_id).values(**values))

    def forget(self, flow_id: str) -> None:
        """Drop the flow's draft."""
        with self.store._write() as conn:
            conn.execute(delete(t.drafts).where(t.drafts.c.flow_id == flow_id))

    # ------------------------------------------------------------ console snapshots

    def snapshot(self, flow_id: str, sha256: str, data: dict, now: datetime) -> str:
        """The id (`<flow>~<sha12>`) of a snapshot with this content, recorded now if new.
        Never a revision: the newest revision is what webhooks run."""
        snap_id = f"{flow_id}~{sha256[:12]}"
        if self.snapshot_row(snap_id) is None:
            try:
                with self.store._write() as conn:
                    conn.execute(insert(t.snapshots).values(id=snap_id, flow_id=flow_id, sha256=sha256, data=data,
                                                            created_at=now))
            except IntegrityError:  # another process (or tab) recorded the same content first
                pass
        return snap_id

    def snapshot_row(self, snapshot_id: str):
        """One snapshot row (with its document), or None."""
        with self.engine.connect() as conn:
            return conn.execute(select(t.snapshots).where(t.snapshots.c.id == snapshot_id)).first()

    # ------------------------------------------------------------ drafts

    def draft(self, flow_id: str):
        """The flow's draft row, or None."""
        with self.engine.connect() as conn:
            return conn.execute(select(t.drafts).where(t.drafts.c.flow_id == flow_id)).first()

    def save_draft(self, flow_id: str, data: dict, now: datetime, *, version: int, base_revision: str | None,
                   author: str, unchanged: bool = False) -> int:
        """Store the draft if it is still at `version` (0: no draft yet) and the newest
        revision is still `base_revision`; returns the new version, else raises Stale.
        With `unchanged` (the document is the published one again: an undo, a restore of
        the live version), the draft is dropped instead and 0 returned."""
        try:
            with self.store._write() as conn:
                latest = self._newest(conn, flow_id)
                if (latest.id if latest else None) != base_revision or self._draft_version(conn, flow_id) != version:
                    raise Stale(flow_id)
                if unchanged:
                    conn.execute(delete(t.drafts).where(t.drafts.c.flow_id == flow_id))
                    return 0
                values = dict(data=data, version=version + 1, base_revision=base_revision, author=author,
                              updated_at=now)
                if version == 0:
                    conn.execute(insert(t.drafts).values(flow_id=flow_id, **values))
                else:
                    conn.execute(update(t.drafts).where(t.drafts.c.flow_id == flow_id).values(**values))
        except IntegrityError:  # another editor created the draft first
            raise Stale(flow_id) from None
        return version + 1

    def discard_draft(self, flow_id: str) -> None:
        """Drop the draft: the editor shows the published version again."""
        self.forget(flow_id)

    @staticmethod
    def _newest(conn, flow_id: str):
        """The id and number of the flow's newest (published) revision, read inside the
        caller's write transaction, or None."""
        c = t.revisions.c
        return conn.execute(select(c.id, c.number).where(c.flow_id == flow_id)
                            .order_by(c.number.desc()).limit(1)).first()

    @staticmethod
    def _draft_version(conn, flow_id: str) -> int:
        return conn.execute(select(t.drafts.c.version).where(t.drafts.c.flow_id == flow_id)).scalar() or 0
