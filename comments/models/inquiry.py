"""Inquiries (照会): questions forwarded to an outside body for the items they serve, and the answers."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from comments.extensions import db
from comments.models.item import Item

inquiry_items = Table(
    "inquiry_items",
    db.metadata,
    Column("inquiry_id", Integer, ForeignKey("inquiries.id", ondelete="CASCADE"), primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
)


class Inquiry(db.Model):
    """A question forwarded to an outside body (the ministry, J-LIS, the regional union) and its answer."""

    __tablename__ = "inquiries"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    body_name: Mapped[str] = mapped_column(String(200))  # 総務省, J-LIS, 広域連合 ...
    question: Mapped[str] = mapped_column(Text)
    sent_on: Mapped[date]
    sent_how: Mapped[str] = mapped_column(String(100))  # e-mail, letter, telephone ...
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_on: Mapped[date | None]
    # Whether the answer may be published; some answers from the ministry are confidential.
    answer_public: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    items: Mapped[list[Item]] = relationship(secondary=inquiry_items, order_by="Item.number")
