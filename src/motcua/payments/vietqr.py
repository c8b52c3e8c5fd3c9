"""VietQR payloads: EMVCo merchant-presented QR with the NAPAS account-transfer template (pure).

The payload is a string of TLV data objects (two-digit id, two-digit length, value) as the
EMV QR Code Specification for Payment Systems, Merchant-Presented Mode, lays out, with the
NAPAS VietQR profile for inter-bank transfers to an account:

- 00 payload format indicator "01"; 01 point of initiation "11" (static, reusable) or
  "12" (dynamic: one amount, one reference);
- 38 merchant account information: 00 the NAPAS GUID "A000000727", 01 the beneficiary
  (00 the bank's 6-digit BIN, 01 the account number), 02 the service "QRIBFTTA";
- 53 currency "704" (ISO 4217, đồng), 54 amount, 58 country "VN";
- 62 additional data: 08 purpose of transaction (here the dossier code, so a bank statement
  line can be matched to its dossier);
- 63 CRC: CRC-16/CCITT-FALSE over the whole payload including "6304", four upper-case hex
  digits.

The bank apps read the purpose into the transfer's description, which is what the statement
import matches on (with the amount).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from motcua.core.text import ascii_digits

NAPAS_GUID = "A000000727"
SERVICE_TO_ACCOUNT = "QRIBFTTA"
CURRENCY_VND = "704"
COUNTRY_VN = "VN"
# Characters a bank app carries through into the transfer description: a dossier code and
# plain ASCII words (no diacritics: several bank apps drop or mangle them).
_PURPOSE_RE = re.compile(r"^[A-Za-z0-9 .\-_/]{1,25}$")


class VietQRError(ValueError):
    """A payload that cannot be built or does not parse."""


def crc16_ccitt(data: str) -> str:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection) as 4 upper-case hex digits."""
    crc = 0xFFFF
    for byte in data.encode("utf-8"):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return f"{crc:04X}"


def _tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise VietQRError(f"data object {tag} is longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


@dataclass(frozen=True)
class VietQR:
    bank_bin: str
    account: str
    amount: int | None = None
    purpose: str = ""

    def payload(self) -> str:
        """The string the QR code carries, CRC included."""
        if not re.fullmatch(r"\d{6}", self.bank_bin):
            raise VietQRError("the bank BIN has 6 digits")
        if not re.fullmatch(r"[0-9A-Za-z]{1,19}", self.account):
            raise VietQRError("the account number has 1 to 19 letters or digits")
        if self.amount is not None and not 0 < self.amount <= 9_999_999_999_999:
            raise VietQRError("the amount is a positive whole number of đồng")
        if self.purpose and not _PURPOSE_RE.match(self.purpose):
            raise VietQRError("the purpose has 1 to 25 plain characters")
        beneficiary = _tlv("00", self.bank_bin) + _tlv("01", self.account)
        merchant = _tlv("00", NAPAS_GUID) + _tlv("01", beneficiary) + _tlv("02", SERVICE_TO_ACCOUNT)
        parts = [
            _tlv("00", "01"),
            _tlv("01", "12" if self.amount else "11"),
            _tlv("38", merchant),
            _tlv("53", CURRENCY_VND),
        ]
        if self.amount:
            parts.append(_tlv("54", str(self.amount)))
        parts.append(_tlv("58", COUNTRY_VN))
        if self.purpose:
            parts.append(_tlv("62", _tlv("08", self.purpose)))
        body = "".join(parts) + "6304"
        return body + crc16_ccitt(body)


def _parse_tlv(data: str) -> dict[str, str]:
    out: dict[str, str] = {}
    i = 0
    while i < len(data):
        if i + 4 > len(data):
            raise VietQRError("truncated data object")
        tag, size = data[i : i + 2], data[i + 2 : i + 4]
        if not (ascii_digits(tag) and ascii_digits(size)):
            raise VietQRError("malformed data object header")
        n = int(size)
        value = data[i + 4 : i + 4 + n]
        if len(value) != n:
            raise VietQRError("truncated data object")
        out[tag] = value
        i += 4 + n
    return out


def parse(payload: str) -> VietQR:
    """Read a VietQR account-transfer payload back; checks the CRC and the NAPAS template."""
    if len(payload) < 8 or payload[-8:-4] != "6304":
        raise VietQRError("no CRC at the end")
    if crc16_ccitt(payload[:-4]) != payload[-4:].upper():
        raise VietQRError("CRC mismatch")
    top = _parse_tlv(payload[:-8])
    if top.get("00") != "01":
        raise VietQRError("not an EMVCo payload")
    if top.get("53") != CURRENCY_VND or top.get("58") != COUNTRY_VN:
        raise VietQRError("not a payment in đồng in Vietnam")
    merchant = _parse_tlv(top.get("38", ""))
    if merchant.get("00") != NAPAS_GUID or merchant.get("02") != SERVICE_TO_ACCOUNT:
        raise VietQRError("not a NAPAS transfer to an account")
    beneficiary = _parse_tlv(merchant.get("01", ""))
    extra = _parse_tlv(top.get("62", ""))
    amount = top.get("54")
    return VietQR(
        bank_bin=beneficiary.get("00", ""),
        account=beneficiary.get("01", ""),
        amount=int(amount) if amount else None,
        purpose=extra.get("08", ""),
    )


def png(payload: str, *, scale: int = 6) -> bytes:
    """The QR code as a PNG image (error correction M, quiet zone of 4 modules)."""
    import io

    import segno

    buf = io.BytesIO()
    segno.make_qr(payload, error="m").save(buf, kind="png", scale=scale, border=4)
    return buf.getvalue()
