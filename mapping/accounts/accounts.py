"""Local accounts, kept in the store (records collection ``accounts``, id: the name).

Passwords are hashed with Argon2id (``argon2-cffi``, its default parameters); only the hash is
stored, never the password, and a hash made with older parameters is replaced at the next
sign-in. Names are compared without regard to case (``Aminata`` and ``aminata`` are one
account). A store always has an administrator once it has accounts: the first account must be
one, and the last one can be neither removed nor given another role.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..errors import BordermapError
from ..layers.store import LayerStore, now
from .roles import Role

COLLECTION = "accounts"
MAX_NAME = 64  # characters
MIN_PASSWORD = 8  # characters
MAX_PASSWORD = 1024  # characters: longer ones are refused before hashing
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_HASHER = PasswordHasher()
_UNKNOWN = _HASHER.hash("no such account")  # checked against when the name is unknown (same time)


class AccountError(BordermapError):
    """An account change that is refused; nothing was written."""

    section = "account"


@dataclass(frozen=True)
class Account:
    """One account: its name as typed, role, when (UTC, ISO 8601) and by whom it was added."""

    name: str
    role: Role
    created: str
    created_by: str
    password_hash: str = field(repr=False)

    @property
    def session_key(self) -> str:
        """What a signed-in session keeps of the account (SHA-256 of its creation time and
        password hash): another account made under the same name, or a new password, no longer
        matches, so sessions opened before are signed out."""
        return hashlib.sha256(f"{self.created}\n{self.password_hash}".encode()).hexdigest()

    def as_record(self) -> dict:
        return {"id": self.name, "name": self.name, "role": self.role.value, "created": self.created,
                "created_by": self.created_by, "password_hash": self.password_hash}

    @classmethod
    def from_record(cls, record: dict) -> Account | None:
        """The account of a stored record; None when it is not one (edited by hand)."""
        try:
            return cls(str(record["name"]), Role(record["role"]), str(record.get("created", "")),
                       str(record.get("created_by", "")), str(record["password_hash"]))
        except (KeyError, ValueError):
            return None


def accounts(store: LayerStore) -> list[Account]:
    """The accounts of ``store``, in the order they were added."""
    found = (Account.from_record(r) for r in store.records(COLLECTION))
    return [a for a in found if a is not None]


def has_accounts(store: LayerStore) -> bool:
    return bool(accounts(store))


def find(store: LayerStore, name: str) -> Account | None:
    """The account called ``name`` (any case), or None."""
    key = name.strip().casefold()
    return next((a for a in accounts(store) if a.name.casefold() == key), None)


def get(store: LayerStore, name: str) -> Account:
    """The account called ``name`` (any case); ``AccountError`` ``unknown`` when there is none."""
    account = find(store, name)
    if account is None:
        raise AccountError("unknown", name=name)
    return account


def checked_name(name: str) -> str:
    """A name as typed, trimmed; refused when empty, too long or holding control characters."""
    name = name.strip()
    if not name or len(name) > MAX_NAME or _CONTROLS.search(name):
        raise AccountError("bad_name", most=MAX_NAME)
    return name


def checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError("short_password", least=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise AccountError("long_password", most=MAX_PASSWORD)
    return password


def _admins(store: LayerStore) -> list[Account]:
    return [a for a in accounts(store) if a.role is Role.ADMIN]


def checked_new(store: LayerStore, name: str, role: Role) -> str:
    """The name of a new account with ``role``, trimmed; refused when it is taken (any case), or
    when it would be the store's first account and not an administrator."""
    name = checked_name(name)
    if find(store, name) is not None:
        raise AccountError("name_taken", name=name)
    if role is not Role.ADMIN and not has_accounts(store):
        raise AccountError("first_admin")
    return name


def add_account(store: LayerStore, name: str, role: Role, password: str, created_by: str) -> Account:
    """Add an account (``created_by``: who adds it); see ``checked_new`` for the refusals, which
    are checked under the store's writer lock (two admins adding the same name: one wins)."""
    checked_new(store, name, role)  # refused before the password is hashed (0.7 s)
    password_hash = _HASHER.hash(checked_password(password))
    with store.transaction() as tx:
        account = Account(checked_new(store, name, role), role, now(), created_by, password_hash)
        tx.save_record(COLLECTION, account.name, account.as_record())
    return account


def _refuse_last_admin(store: LayerStore, account: Account) -> None:
    if account.role is Role.ADMIN and len(_admins(store)) == 1:
        raise AccountError("last_admin", name=account.name)


def remove_account(store: LayerStore, name: str) -> Account:
    """Remove the account ``name``; refused for the last administrator."""
    with store.transaction() as tx:  # checked and removed under the writer lock: an admin stays
        account = get(store, name)
        _refuse_last_admin(store, account)
        tx.delete_record(COLLECTION, account.name)
    return account


def set_role(store: LayerStore, name: str, role: Role) -> Account:
    """Give the account ``name`` another role; refused when it is the last administrator's."""
    with store.transaction() as tx:  # checked and changed under the writer lock: an admin stays
        account = get(store, name)
        if role is not Role.ADMIN:
            _refuse_last_admin(store, account)
        changed = replace(account, role=role)
        tx.save_record(COLLECTION, account.name, changed.as_record())
    return changed


def set_password(store: LayerStore, name: str, password: str) -> Account:
    """Give the account ``name`` a new password: hashed first, then read and written under the
    writer lock, so that a role changed meanwhile is kept."""
    get(store, name)
    password_hash = _HASHER.hash(checked_password(password))
    with store.transaction() as tx:
        changed = replace(get(store, name), password_hash=password_hash)
        tx.save_record(COLLECTION, changed.name, changed.as_record())
    return changed


def verify(store: LayerStore, name: str, password: str) -> Account | None:
    """The account when ``password`` is its password, else None (an unknown name takes as long
    as a wrong password). A hash made with older parameters is replaced by a new one."""
    account = find(store, name)
    try:
        _HASHER.verify(account.password_hash if account else _UNKNOWN, password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        return None
    if account is None:
        return None
    if _HASHER.check_needs_rehash(account.password_hash):
        password_hash = _HASHER.hash(password)
        with store.transaction() as tx:  # the account as it is now (a role changed meanwhile stays)
            now_stored = find(store, account.name)
            if now_stored is None or now_stored.password_hash != account.password_hash:
                return None  # removed, or given another password, meanwhile
            account = replace(now_stored, password_hash=password_hash)
            tx.save_record(COLLECTION, account.name, account.as_record())
    return account
