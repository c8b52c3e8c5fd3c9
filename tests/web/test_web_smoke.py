"""Every page a person reaches speaks Vietnamese: the demo office, crawled per role with the test client.

One demo office is seeded per module (rolled back at the end); each role logs in, opens every link
of /can-bo/ and every same-site page linked from those, and each page must answer 200 (or the 403
listed below), carry lang="vi", show no Django technical page, no leftover English UI word and
Vietnamese diacritics. Failures are collected per page so the message names every broken page.
"""

from __future__ import annotations

import re
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.db import transaction

from motcua.core import clock

DEMO_LOGINS = ["admin", "tiepnhan", "chuyenvien", "lanhdao", "quanly"]
OFFICE = "ha-dong"
# A Tuesday morning in office hours, so receiving and calling behave the same on any run day.
AT = datetime(2026, 3, 17, 9, 30, tzinfo=clock.VN_TZ)

# Words that betray an untranslated template or a leaked Python/JS value.
ENGLISH = [
    "Submit", "Save", "Search", "Cancel", "Next", "Previous", "Login", "Logout", "Log in",
    "Log out", "Dashboard", "Page", "Error", "None", "null", "undefined", "TODO", "True",
    "False", "Loading", "Delete", "Edit", "Back", "Home", "Welcome", "Password", "Username",
]  # fmt: skip
ENGLISH_RE = re.compile(r"\b(" + "|".join(re.escape(w) for w in ENGLISH) + r")\b")
DIACRITICS_RE = re.compile(r"[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]")
TECHNICAL = [
    "Traceback",
    "Exception Value",
    "Using the URLconf",
    "technical_500",
    "Page not found (",
]

# Never followed: they change state, download files or belong to Django's own admin screens.
SKIP_RE = re.compile(
    r"^/(static|media|captcha|api)/|/dang-xuat/|/xuat[./]|\.(csv|xlsx|pdf|svg|png|jpg|docx|zip)$"
    r"|^/quan-tri/.+|/tai-ve/|/tai-xuong/"
)

# Back-office pages a role must be refused (403), checked directly because the menu hides them.
FORBIDDEN = {
    "tiepnhan": ["/can-bo/bao-cao/", "/can-bo/xep-hang/bao-cao/", "/can-bo/khuon-mat/"],
    "chuyenvien": [
        "/can-bo/bao-cao/",
        "/can-bo/xep-hang/bao-cao/",
        "/can-bo/khuon-mat/",
        "/can-bo/tin-bai/",
    ],
    "lanhdao": ["/can-bo/khuon-mat/"],
    "quanly": [],
    "admin": [],
}

PUBLIC = [
    "/",
    "/thu-tuc/",
    "/tra-cuu/",
    "/tinh-hinh-giai-quyet/",
    "/co-quan/",
    "/cong-khai/",
    "/tin-tuc/",
    f"/can-bo/xep-hang/kiosk/{OFFICE}/",
    f"/can-bo/xep-hang/bang/{OFFICE}/",
]


class _Page(HTMLParser):
    """Visible text (outside script/style/template) plus the labels a user reads in attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("script", "style", "template", "noscript"):
            self._hidden += 1
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        for name in ("placeholder", "title", "aria-label", "alt"):
            if a.get(name):
                self.text.append(a[name] or "")
        if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
            self.text.append(a["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template", "noscript") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.text.append(data)


def parse(html: str) -> _Page:
    p = _Page()
    p.feed(html)
    return p


def problems(url: str, response, expect: int = 200) -> tuple[list[str], list[str]]:
    """(problems, same-site links) of one response."""
    if response.status_code != expect:
        return [f"{url}: HTTP {response.status_code}, expected {expect}"], []
    if "text/html" not in response.get("Content-Type", ""):
        return [], []
    html = response.content.decode()
    found = []
    if not re.search(r'<html[^>]*\blang="vi"', html):
        found.append(f'{url}: no <html lang="vi">')
    for marker in TECHNICAL:
        if marker in html:
            found.append(f"{url}: Django technical page ({marker!r})")
    page = parse(html)
    text = " ".join(" ".join(page.text).split())
    for m in ENGLISH_RE.finditer(text):
        ctx = text[max(0, m.start() - 40) : m.end() + 40]
        found.append(f"{url}: English/leaked word {m.group(0)!r} in …{ctx}…")
    if not DIACRITICS_RE.search(text.lower()):
        found.append(f"{url}: no Vietnamese diacritics in the visible text")
    return found, same_site(url, page.links)


def same_site(base: str, hrefs: list[str]) -> list[str]:
    out = []
    for href in hrefs:
        href = urldefrag(href)[0]
        if not href or href.startswith(("mailto:", "tel:", "javascript:", "sms:")):
            continue
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            if parts.netloc not in ("testserver", "localhost"):
                continue
            href = parts.path + (f"?{parts.query}" if parts.query else "")
        elif not href.startswith("/"):
            href = base.split("?")[0].rsplit("/", 1)[0] + "/" + href
        if SKIP_RE.search(href.split("?")[0]):
            continue
        out.append(href)
    return out


def crawl(client, start: list[str], depth: int = 1) -> list[str]:
    """GET the start pages and the same-site pages they link to, `depth` levels deep."""
    seen: set[str] = set()
    found: list[str] = []
    frontier = list(dict.fromkeys(start))
    for level in range(depth + 1):
        nxt: list[str] = []
        for url in frontier:
            if url in seen:
                continue
            seen.add(url)
            response = client.get(url)
            if response.status_code in (301, 302) and level:
                # A redirect followed from a link (e.g. a form page bouncing back) must land well.
                response = client.get(url, follow=True)
                url = f"{url} → {response.request['PATH_INFO']}"
            bad, links = problems(url, response)
            found += bad
            nxt += links
        frontier = [u for u in dict.fromkeys(nxt) if u not in seen]
    assert len(seen) >= len(start)
    return found


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """The demo office with a few dossiers and tickets, shared by the module and rolled back."""
    from motcua.catalog.models import Procedure
    from motcua.dossiers.services import dossier_receive
    from motcua.org.models import Counter, Office, Unit, User
    from motcua.queueing.models import Service
    from motcua.queueing.services import ticket_call_next, ticket_issue
    from motcua.web.demo import seed_all

    with clock.frozen(AT), django_db_blocker.unblock(), transaction.atomic():
        seed_all(history=False, log=lambda _msg: None)
        users = {u.username: u for u in User.objects.filter(username__in=DEMO_LOGINS)}
        office = Office.objects.get(code=OFFICE)
        unit = office.unit
        assert Unit.objects.filter(pk=unit.pk).exists()
        codes = list(Procedure.objects.order_by("code").values_list("code", flat=True)[:40])
        dossiers = []
        for i, code in enumerate(codes[::8][:4]):
            citizen = {
                "id_number": f"00108501234{i}",
                "full_name": ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung"][i],
                "date_of_birth": "1985-05-17",
                "phone": f"091234567{i}",
                "address": "Số 5 Quang Trung, Hà Đông, Hà Nội",
            }
            try:
                dossiers.append(
                    dossier_receive(
                        procedure_code=code,
                        channel="direct",
                        citizen=citizen,
                        unit=unit,
                        actor=users["tiepnhan"],
                    )
                )
            except Exception:  # noqa: BLE001 - a procedure this unit cannot receive
                continue
        assert dossiers, "no demo procedure could be received"
        from motcua.org.models import Citizen

        tickets = []
        citizens = list(Citizen.objects.order_by("id")[:3])
        services = list(Service.objects.filter(office=office).order_by("sort"))
        for citizen, svc in zip(citizens, services, strict=False):
            tickets.append(
                ticket_issue(office=office, service=svc, citizen=citizen, method="qr").ticket
            )
        counter = Counter.objects.filter(office=office, is_active=True).order_by("number").first()
        ticket_call_next(counter=counter, officer=users["tiepnhan"])
        yield {"users": users, "dossiers": dossiers, "tickets": tickets, "office": office}
        transaction.set_rollback(True)


@pytest.fixture
def client_for(demo, client):  # type: ignore[no-untyped-def]
    def login(username: str):  # type: ignore[no-untyped-def]
        client.force_login(demo["users"][username])
        return client

    return login


@pytest.mark.django_db
@pytest.mark.parametrize("username", DEMO_LOGINS)
def test_back_office_pages_speak_vietnamese(username, client_for):
    client = client_for(username)
    home = client.get("/can-bo/")
    assert home.status_code == 200
    nav = same_site("/can-bo/", parse(home.content.decode()).links)
    assert len(nav) >= 3, nav
    found = crawl(client, ["/can-bo/", *nav], depth=1)
    assert not found, "\n".join(found)


@pytest.mark.django_db
@pytest.mark.parametrize("username", [u for u in DEMO_LOGINS if FORBIDDEN[u]])
def test_back_office_refuses_pages_outside_role(username, client_for):
    client = client_for(username)
    found = []
    for url in FORBIDDEN[username]:
        bad, _ = problems(url, client.get(url), expect=403)
        found += bad
    assert not found, "\n".join(found)


@pytest.mark.django_db
def test_public_pages_speak_vietnamese(demo, client):
    from motcua.catalog.models import Procedure

    code = Procedure.objects.order_by("code").values_list("code", flat=True).first()
    dossier = demo["dossiers"][0]
    start = [
        *PUBLIC,
        f"/thu-tuc/{code}/",
        f"/can-bo/xep-hang/ve/{demo['tickets'][0].token}/",
        f"/tra-cuu/?ma={dossier.code}",
        f"/danh-gia/?ho-so={dossier.code}",
    ]
    found = crawl(client, start, depth=1)
    # A mistyped address gets a Vietnamese page, not Django's English "Not Found".
    found += problems("/khong-co-trang-nay/", client.get("/khong-co-trang-nay/"), expect=404)[0]
    assert not found, "\n".join(found)


def test_checker_catches_english_and_missing_lang():
    """The checker itself: an English button and a missing lang are reported, scripts ignored."""

    class R(dict):
        status_code = 200
        content = (
            b"<html><body><button>Save</button><script>var x = null;</script>\xc4\x91</body></html>"
        )

    r = R({"Content-Type": "text/html"})
    found, _ = problems("/x/", r)
    assert any("lang" in f for f in found)
    assert any("'Save'" in f for f in found)
    assert not any("'null'" in f for f in found)
