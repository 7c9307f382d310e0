"""Who is calling: a user (with their businesses and region) or a business API key."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.models import BusinessMember, User


@dataclass
class Actor:
    user: User | None
    kind: str  # consumer | business_staff | mediator | admin | system
    business_ids: frozenset[int] = field(default_factory=frozenset)
    owner_of: frozenset[int] = field(default_factory=frozenset)
    region_code: str | None = None
    api_key_id: int | None = None

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user else None

    @property
    def is_admin(self) -> bool:
        return self.kind == "admin"

    def in_region(self, region_code: str | None) -> bool:
        """A mediator's jurisdiction is a 2-, 4- or 6-digit prefix of the division code."""
        if self.kind == "admin":
            return True
        if self.kind != "mediator" or not self.region_code or not region_code:
            return False
        return region_code.startswith(self.region_code)

    @property
    def scope(self) -> str:
        return f"apikey:{self.api_key_id}" if self.api_key_id else f"user:{self.user_id}"


SYSTEM = Actor(user=None, kind="system")


def actor_for_user(session: Session, user: User, memberships: list[tuple[int, str]] | None = None) -> Actor:
    """memberships: the user's (business_id, role) rows when the caller has just read them, else read here."""
    rows = memberships if memberships is not None else session.execute(
        select(BusinessMember.business_id, BusinessMember.role).where(BusinessMember.user_id == user.id)
    ).all()
    return Actor(
        user=user,
        kind=user.kind,
        business_ids=frozenset(r[0] for r in rows),
        owner_of=frozenset(r[0] for r in rows if r[1] == "owner"),
        region_code=user.region_code,
    )


def actor_for_api_key(business_id: int, api_key_id: int) -> Actor:
    return Actor(user=None, kind="business_staff", business_ids=frozenset({business_id}), api_key_id=api_key_id)
