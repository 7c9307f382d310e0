"""Reference data: administrative divisions, industries, complaint categories, settings."""
from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from server.core.models.base import Base


class Region(Base):
    __tablename__ = "region"
    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    parent_code: Mapped[str | None] = mapped_column(String(6), index=True)
    level: Mapped[int]  # 1 province, 2 prefecture, 3 county


class Industry(Base):
    __tablename__ = "industry"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    sort: Mapped[int] = mapped_column(default=0)


class Category(Base):
    __tablename__ = "category"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    sort: Mapped[int] = mapped_column(default=0)


class Setting(Base):
    """Admin-editable settings such as the index weights (key -> JSON value)."""

    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
