"""Run-out forecast from stock counts: running out means an abrupt stop, so warn days ahead.

From each product's latest count, every planned dose after the count is assumed taken from stock (the
safe direction: it never makes the stock look larger than it is), until a dose can no longer be made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any, Literal
from zoneinfo import ZoneInfo

from dosewise.domain.dispensing import TakeInstruction, take_for_dose
from dosewise.domain.errors import DosewiseError, InvalidInput
from dosewise.domain.missed.slots import DoseRecord, Schedule, match_records, utc
from dosewise.domain.quantity import Quantity, format_amount, parse_amount
from dosewise.domain.regimen import Administration, Plan, administrations
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


def _plural(label: str) -> str:
    """ "baclofen 10 mg tablet" -> "baclofen 10 mg tablets" (liquids and other labels stay as they are)."""
    return label + "s" if label.endswith(("tablet", "packet")) else label


def _when(day: date) -> str:
    return day.strftime("%A %d %B").replace(" 0", " ")


# Keyed by the identity of the rules object, which each entry keeps alive (so the id is never reused). The
# instruction's plain words are kept with it: every Today page asks for both.
_TAKES: dict[
    tuple[int, Quantity, tuple[str, ...], tuple[str, ...]],
    tuple[DrugRules, TakeInstruction | None, str],
] = {}


def _take_entry(
    dose: Quantity, rules: DrugRules, products: tuple[str, ...], confirmed_scored: tuple[str, ...]
) -> tuple[DrugRules, TakeInstruction | None, str]:
    key = (id(rules), dose, products, confirmed_scored)
    if key not in _TAKES:
        try:
            take: TakeInstruction | None = take_for_dose(
                dose, rules, products, confirmed_scored=confirmed_scored
            )
        except DosewiseError:
            take = None
        _TAKES[key] = (rules, take, take.describe() if take is not None else "")
        if len(_TAKES) > 4096:
            _TAKES.pop(next(iter(_TAKES)))
    return _TAKES[key]


def take_cached(
    dose: Quantity, rules: DrugRules, products: tuple[str, ...], confirmed_scored: tuple[str, ...] = ()
) -> TakeInstruction | None:
    """``take_for_dose`` remembered per rules, dose, products and the pharmacist's scored-tablet
    confirmation (it is pure, and a search)."""
    return _take_entry(dose, rules, products, confirmed_scored)[1]


def take_words_cached(
    dose: Quantity, rules: DrugRules, products: tuple[str, ...], confirmed_scored: tuple[str, ...] = ()
) -> str:
    """The plain words of ``take_cached``'s instruction ("1 tablet of 10 mg"), or "" when none makes it."""
    return _take_entry(dose, rules, products, confirmed_scored)[2]


def parts_for(
    dose: Quantity, rules: DrugRules, products: tuple[str, ...], confirmed_scored: tuple[str, ...] = ()
) -> dict[str, Fraction]:
    """How much of each product one dose uses (tablets, halves, or mL); empty if nothing makes it."""
    take = take_cached(dose, rules, products, confirmed_scored)
    used: dict[str, Fraction] = {}
    for part in take.parts if take else ():
        amount = part.volume.amount if part.volume is not None else (part.count or Fraction(0))
        used[part.product.id] = used.get(part.product.id, Fraction(0)) + amount
    return used


# The forecast depends on the plan, the rules, the counts, the dose records and the local day only, and
# walks up to HORIZON_DAYS days: remembered per page. Keyed by the plan's and rules' identity; each entry
# keeps both alive, so an id is never reused while its entry stands.
_FORECASTS: dict[
    tuple[int, int, tuple[StockCount, ...], tuple[DoseRecord, ...], Fraction | None, date, str],
    tuple[Plan, DrugRules, Any],
] = {}


def forecast_stock(
    *,
    plan: Plan,
    rules: DrugRules,
    counts: Sequence[StockCount],
    records: Sequence[DoseRecord] = (),
    now: datetime,
    timezone: str,
) -> tuple[StockForecast, ...]:
    """One forecast per product the plan's doses use, counted or not (remembered per day; see above).

    ``records`` are the slot-keyed dose records since the oldest count (``today.dose_records``): they are
    counted by the one matcher, as Today and the missed-dose advice count them.
    """
    fraction = rules.missed_dose.take_if_elapsed_fraction_below if rules.missed_dose else None
    key = (
        id(plan),
        id(rules),
        tuple(counts),
        tuple(records),
        fraction,
        now.astimezone(ZoneInfo(timezone)).date(),
        timezone,
    )
    found = _FORECASTS.get(key)
    if found is None or found[0] is not plan or found[1] is not rules:
        found = (
            plan,
            rules,
            _forecast(
                plan=plan,
                rules=rules,
                counts=counts,
                records=records,
                fraction=fraction,
                now=now,
                tz=timezone,
            ),
        )
        _FORECASTS[key] = found
        if len(_FORECASTS) > 1024:
            _FORECASTS.pop(next(iter(_FORECASTS)))
    result: tuple[StockForecast, ...] = found[2]
    return result


def _draws(
    schedule: Schedule, records: Sequence[DoseRecord], fraction: Fraction | None
) -> list[tuple[datetime, Administration]]:
    """Every dose that takes tablets out of stock, with the planned dose it stands for, in time order.

    The one matcher (``slots.match_records``) says which planned dose each recorded dose counts for. A
    recorded dose is drawn when it was taken (an extra dose too, at the dose of the slot it named); a slot
    recorded as skipped draws nothing; every other planned dose (to come, or past and not recorded) is
    assumed taken at its planned time: the safe direction, never making the stock look larger than it is.
    """
    match = match_records(schedule, records, fraction)
    named = {
        utc(r.at, "taken time"): schedule.index_of(r.slot_date, r.slot_index)
        for r in records
        if r.status == "taken" and r.slot_date is not None and r.slot_index is not None
    }
    draws: list[tuple[datetime, Administration]] = []
    for credit in match.credits:
        if credit.slot is not None:
            draws.append((credit.taken_at, credit.slot))
        elif (index := named.get(credit.taken_at)) is not None:
            draws.append((credit.taken_at, schedule.slots[index]))
    for index, slot in enumerate(schedule.slots):
        if index not in match.credited and index not in match.closed:
            draws.append((slot.at_utc, slot))
    return sorted(draws, key=lambda draw: draw[0])


def _forecast(
    *,
    plan: Plan,
    rules: DrugRules,
    counts: Sequence[StockCount],
    records: Sequence[DoseRecord],
    fraction: Fraction | None,
    now: datetime,
    tz: str,
) -> tuple[StockForecast, ...]:
    """One forecast per product the plan's doses use, counted or not.

    From each product's latest count, the doses drawn after it (``_draws``) come out of that count in time
    order; the run-out day is the day of the first dose it can no longer make.
    """
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    by_product = {count.product_id: count for count in counts}
    first = min([today, *(c.counted_at.astimezone(zone).date() for c in counts)])
    horizon = today + timedelta(days=HORIZON_DAYS)
    # Two days before the oldest count, so that doses recorded around it are matched as Today matches them.
    planned = list(administrations(plan, zone, start=first - timedelta(days=2), end=horizon))
    remaining = {pid: c.amount for pid, c in by_product.items()}
    runs_out: dict[str, date] = {}
    used_products: set[str] = set()
    last_use: dict[str, date] = {}
    for moment, slot in _draws(Schedule(plan, planned), records, fraction) if planned else ():
        day = moment.astimezone(zone).date()
        for product_id, amount in parts_for(slot.dose, rules, plan.products, plan.confirmed_scored).items():
            if day >= today:
                used_products.add(product_id)
                last_use[product_id] = day
            count = by_product.get(product_id)
            if count is None or product_id in runs_out or moment <= count.counted_at:
                continue
            if remaining[product_id] < amount:
                runs_out[product_id] = max(day, today)
                continue
            remaining[product_id] -= amount
    forecasts = []
    for product_id in sorted(used_products | set(by_product)):
        try:
            product = rules.product(product_id)
        except KeyError:
            continue
        count = by_product.get(product_id)
        label, word = _plural(product.label), product.unit_word
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
        out_day = runs_out.get(product_id)
        if out_day is None:
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
        days_left = (out_day - today).days
        level: Level = "urgent" if days_left <= URGENT_DAYS else "warn" if days_left <= WARN_DAYS else "ok"
        when = _when(out_day)
        if days_left <= 0:
            message = f"Your stock of {label} runs out today. Get more now: never stop {rules.name} suddenly."
        else:
            message = (
                f"Your stock of {label} runs out on {when} ({days_left} day{'s' if days_left != 1 else ''}). "
                + (f"Get more now: never stop {rules.name} suddenly." if level != "ok" else "")
            ).strip()
        forecasts.append(
            StockForecast(
                product_id, label, word, count.amount, count.counted_at, out_day, days_left, level, message
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
    """Record how many tablets (halves allowed) or how many mL of a product are at hand now.

    ``drug`` empty means the plan in force's drug (no drug is assumed).
    """
    now = clock()
    with store.write() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="log")
        if not drug.strip():
            latest = uow.plans.latest(access.profile.id)
            if latest is None:
                raise InvalidInput("there is no plan, so say which medicine was counted")
            drug = str(latest.document["drug"])
        rules = kb.drug(drug)
        try:
            product = rules.product(product_id)
        except KeyError as exc:
            raise InvalidInput(f"'{product_id}' is not a {rules.name} product", field="product_id") from exc
        try:
            value = parse_amount(amount.strip())
        except InvalidInput as exc:
            raise InvalidInput(exc.message, hint=exc.hint, field="amount") from exc
        if not product.is_liquid and (value * 2).denominator != 1:
            raise InvalidInput("count whole or half tablets", field="amount")
        if value > 10_000:
            raise InvalidInput(f"{format_amount(value)} is not a plausible count", field="amount")
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
