"""The customers of synthetic cases: new ones, repeat complainers, and their handles.

About three complaints in ten come from someone who complained before, and a few
"regulars" come back again and again, as in a real complaint history. A customer keeps
their language, home branch and handles (phone, LINE, WeChat, email, Messenger, Instagram)
from case to case, so every inbound message is written by its case's customer on one of
their own handles.

Handles must be unique per kind and look real: each is a bijection of the customer's id
(phone +8869xxxxxxxx in Taiwan, +861xxxxxxxxxx on the mainland, LINE U + 32 hex…), so two
customers of one run never share one; a clash with a handle already in the database (the
demo's, an earlier run's) is found per batch in one query per kind and re-drawn.
"""

from __future__ import annotations

from datetime import datetime
from itertools import accumulate
from typing import Any

from django.db import connection

from tingjian.customers.models import Identity, IdentitySource

from .generator_org import Labels, Org
from .generator_store import IdAllocator, Table
from .generator_text import Dice, TextComposer

LANGUAGES = (("zh-hant", "hant"), ("zh-hans", "hans"), ("en", "en"))
LANGUAGE_CUM = (0.55, 0.85, 1.0)
REPEAT = 0.30
REGULAR = 0.03  # share of new customers who will keep coming back
POOL = 100_000  # customers remembered for reuse: bounds memory at any count

# Handles a new customer has: (identity kind, odds), by language.
_HANDLES = {
    "hant": (("line", 0.7), ("phone", 0.6), ("email", 0.3), ("messenger", 0.15), ("instagram", 0.06)),
    "hans": (("phone", 0.9), ("wechat_openid", 0.8), ("email", 0.1)),
    "en": (("email", 0.95), ("messenger", 0.35), ("phone", 0.4), ("instagram", 0.1)),
}
CHANNEL_OF_KIND = {"phone": "phone", "line": "line", "email": "email", "wechat_openid": "wechat",
                   "messenger": "messenger", "instagram": "instagram"}
_CHANNEL_WEIGHT = {"line": 4.0, "wechat": 6.0, "phone": 1.2, "email": 2.0, "messenger": 1.5, "instagram": 1.0}
# Channels where the customer has no handle of ours: (channel, odds), by language.
_NO_HANDLE = {
    "hant": (("webform", 0.10), ("walk_in", 0.04), ("api", 0.02)),
    "hans": (("webform", 0.07), ("walk_in", 0.04), ("weibo", 0.04), ("api", 0.03)),
    "en": (("webform", 0.20), ("walk_in", 0.02)),
}
_EMAIL_NAMES = ("amy", "jerry", "cathy", "kevin", "momo", "vivian", "ken", "peggy", "tina", "alan", "xiaoming", "lily")
_EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example.com")  # reserved: never delivered


class Person:
    __slots__ = ("branch", "handles", "id", "key", "last_case", "name")

    def __init__(self, id: int, key: str, name: str, branch: Labels) -> None:
        self.id = id
        self.key = key
        self.name = name
        self.branch = branch
        self.handles: list[tuple[str, int]] = []  # (channel, identity id)
        self.last_case: int | None = None


class People:
    def __init__(self, rng: Dice, composer: TextComposer, org: Org, *, customers: Table,
                 identities: Table, customer_ids: IdAllocator, identity_ids: IdAllocator) -> None:
        self.rng = rng
        self.composer = composer
        self.org = org
        self.customers = customers
        self.identities = identities
        self.customer_ids = customer_ids
        self.identity_ids = identity_ids
        self.offset = rng.getrandbits(64)
        self.pool: list[Person] = []
        self.regulars: list[Person] = []
        # Identities of this batch: [id, customer id, kind, value, created_at, source, key, salt].
        self.pending: list[list[Any]] = []
        self.created = 0
        self.identities_made = 0
        self.redrawn: set[str] = set()

    def for_case(self, at: datetime) -> tuple[Person, bool]:
        """The customer of a new case and whether they are new."""
        rng = self.rng
        if self.pool and rng.random() < REPEAT:
            if self.regulars and rng.random() < 0.35:
                return rng.pick(self.regulars), False
            return rng.pick(self.pool), False
        return self.new(at), True

    def new(self, at: datetime, *, remember: bool = True) -> Person:
        rng = self.rng
        lang, key = LANGUAGES[rng.index(LANGUAGE_CUM)]
        kinds = [kind for kind, odds in _HANDLES[key] if rng.random() < odds] or [_HANDLES[key][0][0]]
        chat = "line" in kinds or "wechat_openid" in kinds
        group = "cn" if key == "hans" else "tw"
        branches = self.org.branches[group]
        branch = rng.choices(branches, cum_weights=self.org.branch_cum[group])[0]
        person = Person(self.customer_ids.take(), key, self.composer.customer_name(key, chat=chat), branch)
        self.customers.add((person.id, person.name[:200], lang, at, at))
        for kind in kinds:
            identity_id = self.identity_ids.take()
            source = (IdentitySource.CHANNEL if kind in ("line", "wechat_openid", "messenger", "instagram") else IdentitySource.GIVEN).value
            self.pending.append([identity_id, person.id, kind, self._handle(kind, person.id, key, 0), at, source, key, 0])
            person.handles.append((CHANNEL_OF_KIND[kind], identity_id))
        self.created += 1
        if remember:
            if len(self.pool) < POOL:
                self.pool.append(person)
            else:
                self.pool[rng.below(POOL)] = person
            if rng.random() < REGULAR:
                if len(self.regulars) < POOL // 20:
                    self.regulars.append(person)
                else:
                    self.regulars[rng.below(POOL // 20)] = person
        return person

    def channel(self, person: Person) -> tuple[str, int | None]:
        """The channel of one complaint: one of the person's handles, or one without a handle."""
        rng = self.rng
        roll = rng.random()
        for channel, odds in _NO_HANDLE[person.key]:
            if roll < odds:
                return channel, None
            roll -= odds
        if not person.handles:
            return "webform", None
        weights = list(accumulate(_CHANNEL_WEIGHT[c] for c, _i in person.handles))
        channel, identity = rng.choices(person.handles, cum_weights=weights)[0]
        return channel, identity

    def _handle(self, kind: str, n: int, key: str, salt: int) -> str:
        """A plausible, unique handle: an affine bijection of the customer id (and a salt)."""
        m = n * 7919 + self.offset + salt * 104_729
        if kind == "phone":
            if key == "hans":
                return f"+861{3 + n % 7}{m % 10**9:09d}"
            return f"+8869{m % 10**8:08d}"
        if kind == "line":
            return f"U{(n * 0x9E3779B97F4A7C15F39CC0605CEDC835 + self.offset + salt) % 2**128:032x}"
        if kind == "wechat_openid":
            return f"o{(n * 0x9E3779B97F4A7C15F39CC06 + self.offset + salt) % 2**108:027x}"
        if kind == "messenger":
            return str(2 * 10**15 + m % 10**15)
        if kind == "instagram":
            return str(17_841_400_000_000_000 + m % 10**11)
        local = _EMAIL_NAMES[n % len(_EMAIL_NAMES)]
        return f"{local}{n}{'.' + str(salt) if salt else ''}@{_EMAIL_DOMAINS[n % len(_EMAIL_DOMAINS)]}"

    def flush(self) -> int:
        """Re-draw handles that clash with the database, then queue this batch's identities."""
        by_kind: dict[str, list[list[Any]]] = {}
        for row in self.pending:
            by_kind.setdefault(row[2], []).append(row)
        redrawn = 0
        for kind, rows in by_kind.items():
            taken = {row[3] for row in rows}
            clashes = rows
            while clashes:
                # Earlier batches may still be on their way to the database (the background
                # writer): their re-drawn handles, the only ones not unique by construction,
                # are remembered here.
                existing = _existing(kind, [row[3] for row in clashes]) | (taken & self.redrawn)
                clashes = [row for row in clashes if row[3] in existing]
                for row in clashes:
                    taken.discard(row[3])
                    while True:
                        row[7] += 1
                        row[3] = self._handle(kind, row[1], row[6], row[7])
                        if row[3] not in taken and row[3] not in self.redrawn:
                            break
                    taken.add(row[3])
                    self.redrawn.add(row[3])
                    redrawn += 1
        for row in self.pending:
            self.identities.add(tuple(row[:6]))
        self.identities_made += len(self.pending)
        self.pending = []
        return redrawn


def _existing(kind: str, values: list[str]) -> set[str]:
    """Which of these handles the database already has. Plain SQL: the ORM's preparation
    of a few thousand ``IN`` values per batch was a tenth of the generator's time."""
    qn = connection.ops.quote_name
    table, kind_column, value_column = (
        qn(Identity._meta.db_table), qn(str(Identity._meta.get_field("kind").column)),
        qn(str(Identity._meta.get_field("external_id").column)),
    )
    found: set[str] = set()
    with connection.cursor() as cursor:
        for i in range(0, len(values), 2000):
            chunk = values[i : i + 2000]
            cursor.execute(
                f"SELECT {value_column} FROM {table} WHERE {kind_column} = %s "
                f"AND {value_column} IN ({', '.join(['%s'] * len(chunk))})",
                [kind, *chunk],
            )
            found.update(row[0] for row in cursor.fetchall())
    return found

