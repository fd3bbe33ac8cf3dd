"""Run-out forecast from stock counts: running out means an abrupt stop, so warn days ahead.

From each product's latest count, every planned dose after the count is assumed taken from stock (the
safe direction: it never makes the stock look larger than it is), until a dose can no longer be made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Literal
from zoneinfo import ZoneInfo

from dosewise.domain.dispensing import TakeInstruction, take_for_dose
from dosewise.domain.errors import DosewiseError, InvalidInput
from dosewise.domain.quantity import Quantity, format_amount, parse_amount
from dosewise.domain.regimen import Plan, administrations
from dosewise.domain.rules import DrugRules, KnowledgeBase
from dosewise.services.audit import record
from dosewise.services.ports import Actor, Clock, StockCount, Store
from dosewise.services.sharing import authorise

__all__ = ["HORIZON_DAYS", "URGENT_DAYS", "WARN_DAYS", "StockForecast", "forecast_stock", "record_stock"]

# Policy, not clinical numbers (docs/web.md): a week is time to get a repeat prescription filled.
WARN_DAYS = 7
URGENT_DAYS = 3
HORIZON_DAYS = 120

Level = Literal["ok", "warn", "urgent", "unknown", "not_needed"]


@dataclass(frozen=True)
class StockForecast:
    product_id: str
    label: str
    unit_word: str
    on_hand: Fraction | None
    counted_at: datetime | None
    runs_out_on: date | None  # the first day a planned dose cannot be made from this product
    days_left: int | None
    level: Level
    message: str


def _amount_text(amount: Fraction, unit_word: str, liquid: bool) -> str:
    if liquid:
        return f"{format_amount(amount)} mL"
    whole = format_amount(amount) if (amount * 2).denominator == 1 else str(amount)
    return f"{whole} {unit_word}{'' if amount == 1 else 's'}"


def _when(day: date) -> str:
    return day.strftime("%A %d %B").replace(" 0", " ")


def _parts(take: TakeInstruction) -> dict[str, Fraction]:
    used: dict[str, Fraction] = {}
    for part in take.parts:
        amount = part.volume.amount if part.volume is not None else (part.count or Fraction(0))
        used[part.product.id] = used.get(part.product.id, Fraction(0)) + amount
    return used


def forecast_stock(
    *, plan: Plan, rules: DrugRules, counts: Sequence[StockCount], now: datetime, timezone: str
) -> tuple[StockForecast, ...]:
    """One forecast per product the plan's doses use, counted or not."""
    tz = ZoneInfo(timezone)
    today = now.astimezone(tz).date()
    by_product = {count.product_id: count for count in counts}
    takes: dict[Quantity, dict[str, Fraction]] = {}
    first = min([today, *(c.counted_at.astimezone(tz).date() for c in counts)])
    horizon = today + timedelta(days=HORIZON_DAYS)
    remaining = {pid: c.amount for pid, c in by_product.items()}
    runs_out: dict[str, date] = {}
    used_products: set[str] = set()
    last_use: dict[str, date] = {}
    for dose in administrations(plan, tz, start=first, end=horizon):
        parts = takes.get(dose.dose)
        if parts is None:
            try:
                parts = _parts(take_for_dose(dose.dose, rules, plan.products))
            except DosewiseError:
                parts = {}
            takes[dose.dose] = parts
        for product_id, amount in parts.items():
            if dose.slot_date >= today:
                used_products.add(product_id)
                last_use[product_id] = dose.slot_date
            count = by_product.get(product_id)
            if count is None or product_id in runs_out or dose.at <= count.counted_at:
                continue
            if remaining[product_id] < amount:
                runs_out[product_id] = dose.slot_date
            else:
                remaining[product_id] -= amount
    forecasts = []
    for product_id in sorted(used_products | set(by_product)):
        try:
            product = rules.product(product_id)
        except KeyError:
            continue
        count = by_product.get(product_id)
        label, word = product.label, product.unit_word
        if product_id not in used_products:
            forecasts.append(
                StockForecast(
                    product_id,
                    label,
                    word,
                    count.amount if count else None,
                    count.counted_at if count else None,
                    None,
                    None,
                    "not_needed",
                    "The plan does not use this product from today.",
                )
            )
            continue
        if count is None:
            forecasts.append(
                StockForecast(
                    product_id,
                    label,
                    word,
                    None,
                    None,
                    None,
                    None,
                    "unknown",
                    f"Count your {label} so dosewise can warn before they run out.",
                )
            )
            continue
        day = runs_out.get(product_id)
        if day is None:
            if last_use[product_id] < horizon - timedelta(days=1):
                message = (
                    f"Your stock of {label} covers every planned dose that uses it "
                    f"(the last on {_when(last_use[product_id])})."
                )
            else:
                message = f"Your stock of {label} lasts at least {HORIZON_DAYS} days."
            forecasts.append(
                StockForecast(
                    product_id, label, word, count.amount, count.counted_at, None, None, "ok", message
                )
            )
            continue
        days_left = (day - today).days
        level: Level = "urgent" if days_left <= URGENT_DAYS else "warn" if days_left <= WARN_DAYS else "ok"
        when = _when(day)
        if days_left <= 0:
            message = f"Your stock of {label} runs out today. Get more now: never stop {rules.name} suddenly."
        else:
            message = (
                f"Your stock of {label} runs out on {when} ({days_left} day{'s' if days_left != 1 else ''}). "
                + (f"Get more now: never stop {rules.name} suddenly." if level != "ok" else "")
            ).strip()
        forecasts.append(
            StockForecast(
                product_id, label, word, count.amount, count.counted_at, day, days_left, level, message
            )
        )
    return tuple(forecasts)


def record_stock(
    *,
    store: Store,
    kb: KnowledgeBase,
    clock: Clock,
    actor: Actor,
    public_id: str,
    drug: str,
    product_id: str,
    amount: str,
) -> StockCount:
    """Record how many tablets (halves allowed) or how many mL of a product are at hand now."""
    rules = kb.drug(drug)
    try:
        product = rules.product(product_id)
    except KeyError as exc:
        raise InvalidInput(f"'{product_id}' is not a {rules.name} product") from exc
    value = parse_amount(amount.strip())
    if not product.is_liquid and (value * 2).denominator != 1:
        raise InvalidInput("count whole or half tablets")
    if value > 10_000:
        raise InvalidInput(f"{format_amount(value)} is not a plausible count")
    now = clock()
    with store.write() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="log")
        count = uow.stock.add(StockCount(0, access.profile.id, product.id, value, now, actor.user_id))
        record(
            uow,
            at=now,
            actor=actor,
            patient_id=access.profile.id,
            action="stock.count",
            summary=f"counted {_amount_text(value, product.unit_word, product.is_liquid)} of {product.label}",
            detail={"product": product.id, "amount": str(value)},
        )
        uow.commit()
        return count
