"""Fees and charges (phí, lệ phí) of a procedure version, and the one function that prices a dossier.

A fee line of a version (``ProcedureVersion.fees``, JSON) has:

- ``name``: what is charged, as published;
- ``kind``: ``"phi"`` (a charge, phí) or ``"le_phi"`` (a fee, lệ phí) – the Law on Fees and
  Charges 2015 (Luật Phí và lệ phí) keeps them apart, and so do receipts;
- ``amount``: integer đồng, per case, per copy or per page (see ``unit``);
- ``unit``: ``"case"`` (one amount per dossier, the default), ``"copy"`` (per copy issued) or
  ``"page"`` (per page of the original, priced by ``tiers``, capped per copy by ``cap``,
  multiplied by the number of copies);
- ``channels``: optional amount per channel, e.g. ``{"online": 10000}``: residence registration
  costs less online (Circular 75/2022/TT-BTC, table of rates: 20.000 đ at the counter,
  10.000 đ online for permanent residence);
- ``tiers``: for ``unit == "page"``: ``[{"from": 1, "amount": 2000}, {"from": 3, "amount": 1000}]``,
  the per-page amount from that page number on (copy certification, Circular 226/2016/TT-BTC:
  2.000 đ/page for pages 1–2, 1.000 đ/page from page 3, at most 200.000 đ per copy);
- ``cap``: optional ceiling, per copy for ``page`` lines, on the line for the other units;
- ``basis``: the legal text that sets the amount (or the exemption of every case);
- ``collect``: when the money is collected, ``"reception"`` (the default: when the dossier is
  received) or ``"result"`` (when the result is handed over, e.g. the fee for issuing a land
  use right certificate or a building permit); a dossier owing money on a ``result`` line goes
  to status 6 («Yêu cầu thực hiện nghĩa vụ tài chính») before its result;
- ``exemptions``: groups exempted by law, each ``{"code", "group", "basis", "proof"}``
  (``proof``: which paper the official checks), optional ``percent`` (100 when absent).

:func:`fee_compute` is pure: the same lines, channel, quantities and exemption always give the
same amount. Money is integer đồng throughout; a partial reduction rounds down (in the
citizen's favour).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = {"phi": "Phí", "le_phi": "Lệ phí"}
UNITS = {"case": "lần/hồ sơ", "copy": "bản", "page": "trang"}
# What the reception form asks for, per unit of a fee line.
QUANTITY_KEYS = {"copy": ("copies",), "page": ("pages", "copies")}
QUANTITY_LABELS = {"pages": "Số trang của bản chính", "copies": "Số bản sao"}
MAX_QUANTITY = 100_000


class FeeError(ValueError):
    """Bad input to the fee computation; `code` is a stable machine code, the message Vietnamese."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def kind_of(line: Mapping[str, Any]) -> str:
    """The kind of a line; old catalogue data has none, so read it from the published name."""
    kind = line.get("kind")
    if kind in KINDS:
        return str(kind)
    name = str(line.get("name") or "").strip().lower()
    return "phi" if name.startswith("phí") else "le_phi"


COLLECT_MOMENTS = {"reception": "Khi tiếp nhận hồ sơ", "result": "Khi trả kết quả"}


def collect_moment(lines: Iterable[Mapping[str, Any]]) -> str:
    """When a version's charges and fees are collected: "result" if any charged line says so."""
    for line in lines:
        if str(line.get("collect") or "") == "result" and int(line.get("amount") or 0) > 0:
            return "result"
    return "reception"


def quantity_keys(lines: Iterable[Mapping[str, Any]]) -> list[str]:
    """The quantities the reception form must ask for (in a stable order)."""
    keys: list[str] = []
    for line in lines:
        for key in QUANTITY_KEYS.get(str(line.get("unit") or "case"), ()):
            if key not in keys:
                keys.append(key)
    return sorted(keys, key=["pages", "copies"].index)


def exemptions_of(lines: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every exemption group that any line of the version knows, once per code."""
    seen: dict[str, dict[str, Any]] = {}
    for line in lines:
        for ex in line.get("exemptions") or ():
            seen.setdefault(str(ex["code"]), dict(ex))
    return list(seen.values())


def _per_page(tiers: list[Mapping[str, Any]], pages: int) -> int:
    """Sum of per-page amounts for pages 1..pages, each page priced by the last tier it reaches."""
    ordered = sorted(tiers, key=lambda t: int(t["from"]))
    total = 0
    for i, tier in enumerate(ordered):
        start = int(tier["from"])
        end = int(ordered[i + 1]["from"]) - 1 if i + 1 < len(ordered) else pages
        end = min(end, pages)
        if end >= start:
            total += (end - start + 1) * int(tier["amount"])
    return total


@dataclass(frozen=True)
class FeeLine:
    """One priced line: what the law charges before and after the exemption."""

    name: str
    kind: str
    kind_label: str
    unit: str
    basis: str
    quantities: dict[str, int]
    gross: int
    exempt: bool = False
    exemption_group: str = ""
    exemption_basis: str = ""
    amount: int = 0


@dataclass(frozen=True)
class FeeResult:
    """The amount owed and how it was reached (frozen on the dossier at reception)."""

    channel: str
    quantities: dict[str, int]
    exemption: str
    lines: list[FeeLine] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def gross(self) -> int:
        return sum(line.gross for line in self.lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "quantities": dict(self.quantities),
            "exemption": self.exemption,
            "total": self.total,
            "gross": self.gross,
            "lines": [asdict(line) for line in self.lines],
        }


def _quantity(quantities: Mapping[str, Any], key: str) -> int:
    value = quantities.get(key, 1)
    if value in (None, ""):
        value = 1
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if isinstance(value, bool) or number < 1 or number > MAX_QUANTITY:
        raise FeeError(
            f"{QUANTITY_LABELS[key]} phải là số nguyên từ 1 đến {MAX_QUANTITY:,}.".replace(
                ",", "."
            ),
            code="invalid_quantity",
        )
    return number


def fee_compute(
    fees: Any,
    *,
    channel: str,
    quantities: Mapping[str, Any] | None = None,
    exemption: str | None = None,
) -> FeeResult:
    """The amount owed for a dossier: catalogue fee lines (or a ProcedureVersion) + channel + quantities + exemption.

    Absent quantities count as 1 (one page, one copy). An exemption code must be one that a
    line of this version knows; it exempts the lines that list it (and only those).
    """
    lines = list(getattr(fees, "fees", fees) or [])
    quantities = dict(quantities or {})
    unknown = sorted(set(quantities) - set(QUANTITY_LABELS))
    if unknown:
        raise FeeError(f"Số lượng không được hỗ trợ: {', '.join(unknown)}.", "invalid_quantity")
    exemption = (exemption or "").strip()
    if exemption and exemption not in {e["code"] for e in exemptions_of(lines)}:
        raise FeeError(
            "Đối tượng miễn, giảm không có trong quy định phí, lệ phí của thủ tục này.",
            code="exemption_unknown",
        )
    used: dict[str, int] = {}
    out: list[FeeLine] = []
    for line in lines:
        unit = str(line.get("unit") or "case")
        per_channel = line.get("channels") or {}
        base = int(per_channel.get(channel, line.get("amount", 0)) or 0)
        qty = {key: _quantity(quantities, key) for key in QUANTITY_KEYS.get(unit, ())}
        used.update(qty)
        cap = line.get("cap")
        if unit == "page":
            tiers = line.get("tiers") or [{"from": 1, "amount": base}]
            per_copy = _per_page(tiers, qty["pages"])
            if cap is not None:
                per_copy = min(per_copy, int(cap))
            gross = per_copy * qty["copies"]
        elif unit == "copy":
            gross = base * qty["copies"]
            gross = min(gross, int(cap)) if cap is not None else gross
        else:
            gross = min(base, int(cap)) if cap is not None else base
        match = next(
            (e for e in line.get("exemptions") or () if exemption and e["code"] == exemption), None
        )
        amount = gross
        if match is not None:
            percent = int(match.get("percent", 100))
            amount = gross * (100 - percent) // 100
        kind = kind_of(line)
        out.append(
            FeeLine(
                name=str(line.get("name") or ""),
                kind=kind,
                kind_label=KINDS[kind],
                unit=unit,
                basis=str(line.get("basis") or ""),
                quantities=qty,
                gross=gross,
                exempt=match is not None,
                exemption_group=str(match.get("group", "")) if match else "",
                exemption_basis=str(match.get("basis", "")) if match else "",
                amount=amount,
            )
        )
    return FeeResult(channel=channel, quantities=used, exemption=exemption, lines=out)


def fee_describe(line: Mapping[str, Any]) -> str:
    """A fee line's rate in words (catalogue pages, the reception form)."""

    def money(n: Any) -> str:
        return f"{int(n):,}".replace(",", ".") + " đồng"

    unit = str(line.get("unit") or "case")
    if unit == "page":
        parts = []
        tiers = sorted(line.get("tiers") or [], key=lambda t: int(t["from"]))
        for i, tier in enumerate(tiers):
            start = int(tier["from"])
            nxt = int(tiers[i + 1]["from"]) - 1 if i + 1 < len(tiers) else None
            span = (
                f"trang {start}"
                if nxt == start
                else f"trang {start}–{nxt}"
                if nxt
                else f"từ trang {start}"
            )
            parts.append(f"{money(tier['amount'])}/trang ({span})")
        text = "; ".join(parts) or f"{money(line.get('amount', 0))}/trang"
        if line.get("cap") is not None:
            text += f"; tối đa {money(line['cap'])}/bản"
        return text
    amount = money(line.get("amount", 0)) + ("/bản" if unit == "copy" else "")
    channels = line.get("channels") or {}
    if "online" in channels:
        return (
            f"{amount} (trực tuyến: {money(channels['online'])}{'/bản' if unit == 'copy' else ''})"
        )
    return amount
