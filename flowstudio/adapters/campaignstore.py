"""Campaigns, their contacts and opt-outs in SQL (tables: campaignschema.py).

A process sends a campaign's contacts in small batches, claimed like timers
(`Store.claim_due`): `claim` takes the campaign whose next slot is due, FOR UPDATE
SKIP LOCKED on PostgreSQL (SQLite's single writer alone keeps two claims apart),
marks up to `batch` contacts `claimed` until a lease runs out, and moves the
campaign's `next_at` forward by batch/rate, all in one transaction. So several
processes share a campaign's sends and its total rate still holds. A contact whose
claim ran out (its process died) is claimed again; starting it twice is prevented by
the execution's idempotency key (campaigns.py), not by the lease.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, delete, func, insert, literal_column, or_, select, update

from . import campaignschema as c
from . import schema as t
from .store import Store, utc

LIVE = ("scheduled", "running")          # statuses whose contacts are sent
CANCELLABLE = LIVE + ("paused",)         # statuses a cancel (or the flow's delete) ends
STATUSES = ("scheduled", "running", "paused", "done", "cancelled")
_INSERT_CHUNK = 5000


# Built once, the statuses written out (an expanding IN is rendered again at every
# run): every process asks it five times a second (CampaignRunner).
_ANY_DUE = select(c.campaigns.c.id).where(and_(c.campaigns.c.status.in_([literal_column(f"'{s}'") for s in LIVE]),
                                               c.campaigns.c.next_at <= bindparam("until"))).limit(1)


@dataclass
class Claim:
    """A batch of contacts of one campaign, each with the time it may start at."""

    campaign: object                      # the campaign row
    contacts: list                        # rows of campaign_contacts
    slots: list[datetime]                 # when each may start (rate pacing)


class CampaignStore:
    """Campaign rows on the same database (and engine) as the executions."""

    def __init__(self, store: Store):
        self.store = store
        self.engine = store.engine

    # ------------------------------------------------------------ campaigns

    def create(self, campaign: dict, contacts: list[dict]) -> None:
        """Record a campaign and its contacts (dicts of campaign_contacts' columns
        without campaign_id) in one transaction."""
        with self.store._write() as conn:
            conn.execute(insert(c.campaigns).values(**campaign))
            for i in range(0, len(contacts), _INSERT_CHUNK):
                conn.execute(insert(c.campaign_contacts),
                             [{"campaign_id": campaign["id"], **row} for row in contacts[i:i + _INSERT_CHUNK]])

    def get(self, campaign_id: str):
        """One campaign row, or None."""
        with self.engine.connect() as conn:
            return conn.execute(select(c.campaigns).where(c.campaigns.c.id == campaign_id)).first()

    def of_flow(self, flow_id: str, limit: int = 100) -> list:
        """A flow's campaigns, newest first."""
        with self.engine.connect() as conn:
            return list(conn.execute(select(c.campaigns).where(c.campaigns.c.flow_id == flow_id)
                                     .order_by(c.campaigns.c.created_at.desc(), c.campaigns.c.id).limit(limit)))

    def counts(self, campaign_id: str) -> dict[str, int]:
        """How many of the campaign's contacts are in each status."""
        cc = c.campaign_contacts.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(cc.status, func.count()).where(cc.campaign_id == campaign_id)
                                .group_by(cc.status))
            return {status: n for status, n in rows}

    def contacts(self, campaign_id: str, status: str | None = None, limit: int = 1000, after: int = 0) -> list:
        """The campaign's contacts in list order (those in `status`), from the row after `after`."""
        cc = c.campaign_contacts.c
        query = select(c.campaign_contacts).where(and_(cc.campaign_id == campaign_id, cc.row > after))
        if status is not None:
            query = query.where(cc.status == status)
        with self.engine.connect() as conn:
            return list(conn.execute(query.order_by(cc.row).limit(limit)))

    def set_status(self, campaign_id: str, allowed_from: tuple[str, ...], status: str, now: datetime,
                   next_at: datetime | None = None) -> bool:
        """Move a campaign to `status` if it is in one of `allowed_from`; False if not."""
        values = {"status": status, "updated_at": now}
        if next_at is not None:
            values["next_at"] = next_at
        with self.store._write() as conn:
            return conn.execute(update(c.campaigns).where(and_(c.campaigns.c.id == campaign_id,
                                                               c.campaigns.c.status.in_(allowed_from)))
                                .values(**values)).rowcount == 1

    def status(self, campaign_id: str) -> str | None:
        """A campaign's status (the runner asks before each start)."""
        with self.engine.connect() as conn:
            return conn.execute(select(c.campaigns.c.status).where(c.campaigns.c.id == campaign_id)).scalar()

    # ------------------------------------------------------------ sending

    def claim(self, now: datetime, lookahead: timedelta, window: timedelta, lease: timedelta,
              max_batch: int = 50) -> Claim | None:
        """Claim the next batch of the campaign whose slot is due soonest (within
        `lookahead`), or None. The batch covers `window` at the campaign's rate (at
        least one contact); a campaign with nothing left to claim and nothing claimed
        is marked done."""
        cs, cc = c.campaigns.c, c.campaign_contacts.c
        if self.store.peek(_ANY_DUE, {"until": now + lookahead}) is None:  # most rounds: no write lock for them
            return None
        with self.store._write() as conn:
            campaign = conn.execute(select(c.campaigns).where(and_(cs.status.in_(LIVE), cs.next_at <= now + lookahead))
                                    .order_by(cs.next_at).limit(1).with_for_update(skip_locked=True)).first()
            if campaign is None:
                return None
            size = max(1, min(max_batch, int(campaign.rate * window.total_seconds())))
            claimable = or_(cc.status == "pending", and_(cc.status == "claimed", cc.claimed_until < now))
            rows = list(conn.execute(select(c.campaign_contacts).where(and_(cc.campaign_id == campaign.id, claimable))
                                     .order_by(cc.row).limit(size).with_for_update(skip_locked=True)))
            if not rows:
                busy = conn.execute(select(cc.row).where(and_(cc.campaign_id == campaign.id, cc.status == "claimed"))
                                    .limit(1)).first()
                # contacts still claimed by a process: look again once their claims may have run out
                values = {"next_at": now + timedelta(seconds=1)} if busy else {"status": "done"}
                conn.execute(update(c.campaigns).where(cs.id == campaign.id).values(updated_at=now, **values))
                return None
            start = max(utc(campaign.next_at), now)
            step = timedelta(seconds=1 / campaign.rate)
            slots = [start + step * i for i in range(len(rows))]
            conn.execute(update(c.campaigns).where(cs.id == campaign.id).values(
                next_at=start + step * len(rows), status="running", updated_at=now))
            conn.execute(update(c.campaign_contacts).where(and_(cc.campaign_id == campaign.id,
                                                                cc.row.in_([r.row for r in rows])))
                         .values(status="claimed", claimed_until=slots[-1] + lease, updated_at=now))
        return Claim(campaign, rows, slots)

    def finish(self, campaign_id: str, row: int, status: str, now: datetime, execution_id: str | None = None,
               reason: str | None = None) -> None:
        """Record what became of one contact."""
        cc = c.campaign_contacts.c
        with self.store._write() as conn:
            conn.execute(update(c.campaign_contacts).where(and_(cc.campaign_id == campaign_id, cc.row == row))
                         .values(status=status, execution_id=execution_id, reason=reason, claimed_until=None,
                                 updated_at=now))

    def finish_many(self, campaign_id: str, outcomes: list[tuple], now: datetime) -> None:
        """Record what became of several contacts, in one transaction: (row, status,
        execution id, reason) each."""
        cc = c.campaign_contacts.c
        stmt = (update(c.campaign_contacts).where(and_(cc.campaign_id == bindparam("b_campaign"),
                                                       cc.row == bindparam("b_row")))
                .values(status=bindparam("b_status"), execution_id=bindparam("b_execution"),
                        reason=bindparam("b_reason"), claimed_until=None, updated_at=now))
        with self.store._write() as conn:
            conn.execute(stmt, [{"b_campaign": campaign_id, "b_row": row, "b_status": status, "b_execution": execution,
                                 "b_reason": reason} for row, status, execution, reason in outcomes])

    def release(self, campaign_id: str, rows: list[int], now: datetime) -> None:
        """Give claimed contacts back (the campaign was paused or cancelled mid-batch)."""
        if not rows:
            return
        cc = c.campaign_contacts.c
        with self.store._write() as conn:
            conn.execute(update(c.campaign_contacts).where(and_(cc.campaign_id == campaign_id, cc.row.in_(rows),
                                                                cc.status == "claimed"))
                         .values(status="pending", claimed_until=None, updated_at=now))

    # ------------------------------------------------------------ opt-outs

    def opt_out(self, address: str, flow_id: str, keyword: str, now: datetime) -> None:
        """Record that `address` opted out (texted `keyword` to `flow_id`'s number)."""
        with self.store._write() as conn:
            conn.execute(delete(c.opt_outs).where(c.opt_outs.c.address == address))
            conn.execute(insert(c.opt_outs).values(address=address, flow_id=flow_id, keyword=keyword, created_at=now))

    def opt_in(self, address: str) -> bool:
        """Undo an opt-out; False when `address` had not opted out."""
        with self.store._write() as conn:
            return conn.execute(delete(c.opt_outs).where(c.opt_outs.c.address == address)).rowcount > 0

    def opted_out(self, address: str) -> bool:
        """Whether `address` opted out."""
        with self.engine.connect() as conn:
            return conn.execute(select(c.opt_outs.c.address).where(c.opt_outs.c.address == address)).first() is not None

    def opted_out_among(self, addresses: list[str]) -> set[str]:
        """Which of `addresses` opted out."""
        out: set[str] = set()
        with self.engine.connect() as conn:
            for i in range(0, len(addresses), 1000):
                chunk = addresses[i:i + 1000]
                out.update(conn.execute(select(c.opt_outs.c.address).where(c.opt_outs.c.address.in_(chunk))).scalars())
        return out

    def active_contacts(self, flow_id: str, addresses: list[str]) -> set[str]:
        """Which of `addresses` have an active execution of `flow_id` (by session key,
        as the REST trigger path starts them)."""
        e = t.executions.c
        out: set[str] = set()
        with self.engine.connect() as conn:
            for i in range(0, len(addresses), 1000):
                out.update(conn.execute(select(e.session_key).where(and_(
                    e.flow_id == flow_id, e.status == "active", e.session_key.in_(addresses[i:i + 1000])))).scalars())
        return out

    def opt_outs(self, limit: int = 1000) -> list:
        """The newest `limit` opt-outs, newest first."""
        with self.engine.connect() as conn:
            return list(conn.execute(select(c.opt_outs).order_by(c.opt_outs.c.created_at.desc()).limit(limit)))

    def opt_out_count(self) -> int:
        """How many numbers opted out."""
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(c.opt_outs)).scalar_one()
