"""Issue 9, "what it must show": the authorisation matrix as a test.

Every role (held in unit A) × own unit (A's dossiers, counters, citizens) / other unit (B's) ×
every action of the API and every back-office URL, with the expected outcome written in the
tables below. Outcomes: `ok` (2xx), `redirect` (3xx elsewhere than the login page, e.g. a form
sent back to its page), `login` (redirect to the login page), `401`, `403`, `404`, `409`.
`-` in the scope column: the URL has no object of a unit. A back-office URL missing from
BACK_OFFICE fails the test: a new page must be added here with its expected outcomes.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from factories import (
    CitizenFactory,
    CounterFactory,
    OfficeFactory,
    ProcedureVersionFactory,
    StaffRoleFactory,
    UnitFactory,
    UserFactory,
)
from motcua.core import clock
from motcua.core.services import api_token_issue
from motcua.org.models import Role

pytestmark = pytest.mark.django_db

ROLES = ["anon", "reception", "specialist", "leader", "manager", "sysadmin", "home"]
ROLE_OF = {
    "reception": Role.RECEPTION,
    "specialist": Role.SPECIALIST,
    "leader": Role.LEADER,
    "manager": Role.MANAGER,
    "sysadmin": Role.SYSADMIN,
    "home": Role.HOME_SERVICE,
}
NOW = datetime(2026, 11, 17, 9, 30, tzinfo=clock.VN_TZ)  # a Tuesday, office hours

# --- the API ------------------------------------------------------------------------------------
# A system administrator sees their units' dossiers but makes no move on them, and erases face
# data anywhere (the other roles' managers only at their units' offices: issue 9 point 4).
# Dossier actions: the dossier is in a status the action starts from and held by the caller
# (a specialist acts only on what they hold), so that the table shows the role rule alone.
API = """
operation                    scope  anon  reception  specialist  leader  manager  sysadmin  home
dossier.read                 own    401   ok         ok          ok      ok       ok        ok
dossier.read                 other  401   404        404         404     404      404       404
dossier.list                 own    401   ok         ok          ok      ok       ok        ok
dossier.list                 other  401   hidden     hidden      hidden  hidden   hidden    hidden
dossier.form01               own    401   ok         ok          ok      ok       ok        ok
dossier.form01               other  401   404        404         404     404      404       404
dossier.receive              own    401   ok         403         403     403      403       ok
dossier.receive              other  401   403        403         403     403      403       403
action.accept                own    401   ok         403         403     403      403       403
action.refuse                own    401   ok         403         403     403      403       403
action.assign                own    401   ok         403         ok      403      403       403
action.forward               own    401   ok         ok          ok      403      403       403
action.submit_for_approval   own    401   403        ok          403     403      403       403
action.send_back             own    401   403        ok          ok      403      403       403
action.transfer              own    401   ok         403         ok      403      403       403
action.approve               own    401   403        403         ok      403      403       403
action.request_supplement    own    401   ok         ok          ok      403      403       403
action.resubmit              own    401   ok         403         403     403      403       403
action.request_payment       own    401   403        ok          ok      403      403       403
action.paid                  own    401   ok         ok          403     403      403       403
action.finish                own    401   ok         ok          ok      403      403       403
action.return                own    401   ok         403         403     403      403       ok
action.withdraw              own    401   ok         403         403     403      403       403
action.stop                  own    401   403        403         ok      403      403       403
action.extend                own    401   403        403         ok      403      403       403
action.*                     other  401   404        404         404     404      404       404
ledger.pdf                   own    401   ok         ok          ok      ok       ok        ok
ledger.pdf                   other  401   404        404         404     404      404       404
forms.list                   -      401   ok         ok          ok      ok       ok        ok
counter.call_next            own    401   ok         403         403     403      403       403
counter.call_next            other  401   403        403         403     403      403       403
face.delete                  own    401   403        403         403     ok       ok        403
face.delete                  other  401   403        403         403     403      ok        403
dossier.notifications        own    401   ok         ok          ok      ok       ok        ok
dossier.notifications        other  401   404        404         404     404      404       404
"""

# Each dossier action: the status it starts from, the dossier's state that the move needs
# besides the role (paused clock, leader's approval, a previous holder), and its body.
PAUSED = {"paused_at": NOW - timedelta(days=1)}
ACTIONS: dict[str, tuple[int, dict[str, Any], dict[str, Any]]] = {
    "accept": (1, {}, {}),
    "refuse": (1, {}, {"reason": "Thiếu giấy tờ"}),
    "assign": (2, {}, {"to_user": "matrix-target"}),
    "forward": (4, {}, {"to_user": "matrix-target"}),
    "submit_for_approval": (4, {}, {}),
    "send_back": (4, {"handed_by": "matrix-target"}, {"reason": "Cần xem lại"}),
    "transfer": (2, {}, {"to_unit": "MX-A-TP", "reason": "Đúng thẩm quyền bộ phận"}),
    "approve": (4, {}, {}),
    "request_supplement": (2, {}, {"reason": "Thiếu bản sao"}),
    "resubmit": (5, PAUSED, {}),
    "request_payment": (4, {}, {"reason": "Phí"}),
    "paid": (6, PAUSED, {}),
    "finish": (4, {"approved": True}, {}),
    "return": (9, {"result_ready_at": NOW - timedelta(hours=1)}, {}),
    "withdraw": (2, {}, {"reason": "Công dân xin rút"}),
    "stop": (2, {}, {"reason": "Dừng theo yêu cầu"}),
    "extend": (2, {}, {"reason": "Cần xác minh thêm", "new_date": "2026-11-30"}),
}

# --- the back office ------------------------------------------------------------------------------
# URL name → scope → outcome per role. GET for pages; POST (no body beyond what is needed to
# reach the permission check) for the URLs that only accept POST. Pages that fall back to the
# caller's own unit when asked for another's answer with their own data (`own-office`); face
# data erasure sends the page back with a message either way, so the outcome is what became of
# the data (`erased` / `kept`), and of a dossier move (`moved` / `refused`: a request for
# papers, which reception, specialists and leaders make). The kiosk, board, ticket and voice URLs are public devices.
# counter_face_check without a ticket of that counter: 404 for the counter's own officer.
BACK_OFFICE = """
url                                   scope  anon   reception  specialist  leader     manager    sysadmin   home
web:home                              -      login  ok         ok          ok         ok         ok         ok
web:login                             -      ok     redirect   redirect    redirect   redirect   redirect   redirect
web:logout                            -      login  login      login       login      login      login      login
web:switch_unit                       own    login  redirect   redirect    redirect   redirect   redirect   redirect
web:catalog                           -      login  ok         ok          ok         ok         ok         ok
dossiers:worklist                     -      login  ok         ok          ok         ok         ok         ok
dossiers:receive                      -      login  ok         403         403        403        403        ok
dossiers:ledger                       -      login  ok         ok          ok         ok         ok         ok
dossiers:detail                       own    login  ok         ok          ok         ok         ok         ok
dossiers:detail                       other  login  404        404         404        404        404        404
dossiers:act                          own    login  moved      moved       moved      refused    refused    refused
dossiers:act                          other  login  404        404         404        404        404        404
dossiers:attach                       own    login  redirect   redirect    redirect   redirect   redirect   redirect
dossiers:attach                       other  login  404        404         404        404        404        404
dossiers:attachment                   own    login  ok         ok          ok         ok         ok         ok
dossiers:attachment                   other  login  404        404         404        404        404        404
dossiers:form_pdf                     own    login  ok         ok          ok         ok         ok         ok
dossiers:form_pdf                     other  login  404        404         404        404        404        404
queueing:counter_select               -      login  ok         ok          ok         ok         ok         ok
queueing:counter                      own    login  ok         403         403        403        403        403
queueing:counter                      other  login  403        403         403        403        403        403
queueing:counter_face_check           own    login  404        403         403        403        403        403
queueing:counter_face_check           other  login  403        403         403        403        403        403
queueing:counter_action               own    login  redirect   403         403        403        403        403
queueing:counter_action               other  login  403        403         403        403        403        403
queueing:desk                         -      login  ok         403         403        ok         403        403
queueing:desk_action                  own    login  redirect   403         403        redirect   403        403
queueing:desk_action                  other  login  404        403         403        404        403        403
queueing:board_select                 -      login  ok         ok          ok         ok         ok         ok
queueing:report                       -      login  403        403         ok         ok         ok         403
queueing:report_export                own    login  403        403         ok         ok         ok         403
queueing:report_export                other  login  403        403         own-office own-office own-office 403
queueing:kiosk                        -      ok     ok         ok          ok         ok         ok         ok
queueing:board                        -      ok     ok         ok          ok         ok         ok         ok
queueing:ticket_live                  -      ok     ok         ok          ok         ok         ok         ok
queueing:ticket_qr                    -      ok     ok         ok          ok         ok         ok         ok
queueing:voice_call                   -      ok     ok         ok          ok         ok         ok         ok
reports:dashboard                     -      login  403        403         ok         ok         ok         403
reports:export                        -      login  403        403         ok         ok         ok         403
biometrics:privacy                    -      login  403        403         403        ok         ok         403
biometrics:delete                     own    login  403        403         403        erased     erased     403
biometrics:delete                     other  login  403        403         403        kept       erased     403
portal:staff_news                     -      login  403        403         ok         ok         ok         403
portal:staff_news_new                 -      login  403        403         ok         ok         ok         403
portal:staff_news_edit                -      login  403        403         ok         ok         ok         403
portal:staff_comment_moderate         -      login  403        403         redirect   redirect   redirect   403
notifications:failed                  -      login  ok         403         ok         ok         403        403
"""


def _table(text: str) -> dict[tuple[str, str], dict[str, str]]:
    lines = [line.split() for line in text.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    assert header[2:] == ROLES
    table: dict[tuple[str, str], dict[str, str]] = {}
    for row in rows:
        assert len(row) == len(header), row
        assert (row[0], row[1]) not in table, row
        table[(row[0], row[1])] = dict(zip(ROLES, row[2:], strict=True))
    return table


API_TABLE = _table(API)
BACK_OFFICE_TABLE = _table(BACK_OFFICE)


def _outcome(response: Any) -> str:
    code = response.status_code
    if 200 <= code < 300:
        return "ok"
    if code in (301, 302, 303):
        return "login" if "/can-bo/dang-nhap/" in response["Location"] else "redirect"
    return str(code)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db, freeze):  # type: ignore[no-untyped-def]
    """Units A (own) and B (other), each with an office, a counter, a service, a citizen with
    face data held at its office, a dossier and an attachment; one official per role in A."""
    from motcua.biometrics.models import FaceTemplate
    from motcua.portal.models import Announcement, Comment
    from motcua.queueing import services
    from motcua.queueing.models import CounterService, Method, Service

    freeze(NOW)
    version = ProcedureVersionFactory(procedure__code="1.001193", name="Đăng ký khai sinh")
    units, offices, counters, citizens, tickets = {}, {}, {}, {}, {}
    for side, agency in (("A", "000.00.71.H26"), ("B", "000.00.72.H26")):
        unit = UnitFactory(code=f"MX-{side}", agency_code=agency, name=f"Phường Ma Trận {side}")
        UnitFactory(code=f"MX-{side}-TP", agency_code="", name=f"Tư pháp {side}", parent=unit)
        office = OfficeFactory(unit=unit, code=f"mx-{side.lower()}")
        service = Service.objects.create(office=office, code="A", name="Hộ tịch", sort=1)
        counter = CounterFactory(office=office, number=1)
        CounterService.objects.create(counter=counter, service=service)
        citizen = CitizenFactory()
        FaceTemplate.objects.create(**_face_fields(citizen, office))
        units[side], offices[side], counters[side], citizens[side] = unit, office, counter, citizen
        tickets[side] = services.ticket_issue(
            office=office, service=service, citizen=citizen, method=Method.QR
        ).ticket
    users = {}
    for role, value in ROLE_OF.items():
        user = UserFactory(username=f"matrix-{role}")
        StaffRoleFactory(user=user, unit=units["A"], role=value)
        users[role] = user
    target = UserFactory(username="matrix-target")
    StaffRoleFactory(user=target, unit=units["A"], role=Role.SPECIALIST)
    news = Announcement.objects.create(
        title="Thông báo", slug="thong-bao-ma-tran", body="<p>Nội dung</p>", published_at=NOW
    )
    comment = Comment.objects.create(announcement=news, name="Khách", body="Hay", created_at=NOW)
    return {
        "version": version,
        "units": units,
        "offices": offices,
        "counters": counters,
        "citizens": citizens,
        "tickets": tickets,
        "users": users,
        "news": news,
        "comment": comment,
        "n": [0],
    }


def _face_fields(citizen: Any, office: Any) -> dict[str, Any]:
    return {
        "citizen": citizen,
        "office": office,
        "model_id": "matrix",
        "vector": b"\0" * 512,
        "scope": "remember",
        "created_at": NOW,
        "last_seen_at": NOW,
    }


def _dossier(
    world: dict[str, Any], side: str, status: int, holder: Any = None, **state: Any
) -> Any:
    """A dossier row of unit A or B in `status`, held by `holder` (codes of 01/10/2026: never
    one the gapless counter gives today)."""
    from motcua.dossiers.models import Dossier, DossierEvent
    from motcua.org.models import User

    handed_by = state.pop("handed_by", None)
    world["n"][0] += 1
    unit = world["units"][side]
    version = world["version"]
    citizen = world["citizens"][side]
    d = Dossier.objects.create(
        code=f"{unit.agency_code}-261001-{world['n'][0]:04d}",
        unit=unit,
        holder=holder,
        holder_unit=unit if holder else None,
        procedure_version=version,
        procedure=version.procedure,
        field=version.field,
        citizen=citizen,
        citizen_id_number=citizen.id_number,
        citizen_name_folded=citizen.name_folded,
        citizen_phone_last4=citizen.phone[-4:],
        channel="online" if status == 1 else "direct",
        status=status,
        received_at=NOW - timedelta(days=1),
        accepted_at=None if status == 1 else NOW - timedelta(days=1),
        due_at=NOW + timedelta(days=5),
        **state,
    )
    if handed_by and holder:
        # The previous holder handed it over: `send_back` returns it to them.
        DossierEvent.objects.create(
            dossier=d,
            at=NOW - timedelta(hours=2),
            actor=User.objects.get(username=handed_by),
            action="assign",
            from_status=2,
            to_status=4,
            unit=unit,
            from_user=User.objects.get(username=handed_by),
            to_user=holder,
        )
    return d


def _api_call(client: Any, user: Any, method: str, path: str, body: Any = None) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=user)}"} if user else {}
    if method == "GET":
        return client.get(path, **headers)
    if method == "DELETE":
        return client.delete(path, **headers)
    return client.post(path, body or {}, content_type="application/json", **headers)


def _api_operations(world: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(operation, scope, call(client, role_user) -> outcome)."""
    ops: list[tuple[str, str, Any]] = []
    for side, scope in (("A", "own"), ("B", "other")):

        def read(c, u, side=side):  # type: ignore[no-untyped-def]
            d = _dossier(world, side, 2, holder=u)
            return _outcome(_api_call(c, u, "GET", f"/api/v1/dossiers/{d.code}"))

        def listed(c, u, side=side):  # type: ignore[no-untyped-def]
            d = _dossier(world, side, 2, holder=u)
            r = _api_call(c, u, "GET", f"/api/v1/dossiers?q={d.code}")
            if r.status_code != 200:
                return _outcome(r)
            found = d.code in [i["code"] for i in r.json()["items"]]
            return "ok" if found else "hidden"

        def form(c, u, side=side):  # type: ignore[no-untyped-def]
            d = _dossier(world, side, 2, holder=u)
            return _outcome(_api_call(c, u, "GET", f"/api/v1/dossiers/{d.code}/forms/01.pdf"))

        def receive(c, u, side=side):  # type: ignore[no-untyped-def]
            citizen = CitizenFactory.build()
            body = {
                "procedure": "1.001193",
                "channel": "direct",
                "unit": world["units"][side].code,
                "citizen": {
                    "id_number": citizen.id_number,
                    "full_name": citizen.full_name,
                    "date_of_birth": "1985-05-17",
                    "sex": "M",
                },
            }
            return _outcome(_api_call(c, u, "POST", "/api/v1/dossiers", body))

        def ledger(c, u, side=side):  # type: ignore[no-untyped-def]
            code = world["units"][side].code
            return _outcome(
                _api_call(
                    c,
                    u,
                    "GET",
                    f"/api/v1/ledger.pdf?unit={code}&date_from=2026-11-01&date_to=2026-11-17",
                )
            )

        def call_next(c, u, side=side):  # type: ignore[no-untyped-def]
            return _outcome(
                _api_call(c, u, "POST", f"/api/v1/counters/{world['counters'][side].pk}/call-next")
            )

        def face(c, u, side=side):  # type: ignore[no-untyped-def]
            citizen = world["citizens"][side]
            return _outcome(_api_call(c, u, "DELETE", f"/api/v1/citizens/{citizen.id_number}/face"))

        ops += [
            ("dossier.read", scope, read),
            ("dossier.list", scope, listed),
            ("dossier.form01", scope, form),
            ("dossier.receive", scope, receive),
            ("ledger.pdf", scope, ledger),
            ("counter.call_next", scope, call_next),
            ("face.delete", scope, face),
        ]
        for action, (status, state, extra) in ACTIONS.items():

            def act(c, u, side=side, action=action, status=status, state=state, extra=extra):  # type: ignore[no-untyped-def]
                d = _dossier(world, side, status, holder=u, **state)
                body = {"action": action, **extra}
                return _outcome(_api_call(c, u, "POST", f"/api/v1/dossiers/{d.code}/actions", body))

            ops.append((f"action.{action}", scope, act))

    def forms(c, u):  # type: ignore[no-untyped-def]
        return _outcome(_api_call(c, u, "GET", "/api/v1/forms"))

    ops.append(("forms.list", "-", forms))
    for side, scope in (("A", "own"), ("B", "other")):

        def notifications(c, u, side=side):  # type: ignore[no-untyped-def]
            d = _dossier(world, side, 2, holder=u)
            return _outcome(_api_call(c, u, "GET", f"/api/v1/dossiers/{d.code}/notifications"))

        ops.append(("dossier.notifications", scope, notifications))
    return ops


def _expected(table: dict[tuple[str, str], dict[str, str]], op: str, scope: str) -> dict[str, str]:
    if (op, scope) in table:
        return table[(op, scope)]
    wildcard = (op.split(".")[0] + ".*", scope)
    assert wildcard in table, f"{op} ({scope}) is missing from the table"
    return table[wildcard]


def _mismatches(results: dict[tuple[str, str], dict[str, str]], table: Any) -> list[str]:
    out = []
    for (op, scope), got in results.items():
        want = _expected(table, op, scope)
        for role in ROLES:
            if got[role] != want[role]:
                out.append(f"{op:32} {scope:6} {role:11} expected {want[role]:9} got {got[role]}")
    if out and os.environ.get("MATRIX_PRINT"):
        for (op, scope), got in results.items():
            print(f"{op:36} {scope:6} " + "  ".join(f"{got[r]:9}" for r in ROLES))
    return out


def test_api_authorisation_matrix(client, world):
    results: dict[tuple[str, str], dict[str, str]] = {}
    for op, scope, call in _api_operations(world):
        row = {}
        for role in ROLES:
            user = world["users"].get(role)
            row[role] = call(client, user)
        results[(op, scope)] = row
    # Every API operation of the OpenAPI document that needs a token is in the table.
    from motcua.api import api

    guarded = {
        f"{method.upper()} {path}"
        for path, ops in api.get_openapi_schema()["paths"].items()
        for method, spec in ops.items()
        if spec.get("security")
    }
    covered = {
        "POST /api/v1/dossiers",
        "GET /api/v1/dossiers",
        "GET /api/v1/dossiers/{code}",
        "POST /api/v1/dossiers/{code}/actions",
        "GET /api/v1/dossiers/{code}/forms/{form}.pdf",
        "GET /api/v1/forms",
        "GET /api/v1/ledger.pdf",
        "POST /api/v1/counters/{counter_id}/call-next",
        "DELETE /api/v1/citizens/{id_number}/face",
        "GET /api/v1/dossiers/{code}/notifications",
    }
    assert guarded <= covered, f"API operations missing from the matrix: {guarded - covered}"
    assert _mismatches(results, API_TABLE) == []


def _back_office_patterns() -> list[tuple[str, str]]:
    """(route, 'namespace:name') of every URL under /can-bo/."""

    def walk(patterns: Any, prefix: str, ns: str) -> Any:
        for p in patterns:
            if isinstance(p, URLResolver):
                inner = f"{ns}:{p.namespace}" if ns and p.namespace else (p.namespace or ns)
                yield from walk(p.url_patterns, prefix + str(p.pattern), inner)
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern), f"{ns}:{p.name}" if ns else str(p.name)

    return [(r, n) for r, n in walk(get_resolver().url_patterns, "", "") if r.startswith("can-bo/")]


POST_ONLY = {
    "web:logout",
    "web:switch_unit",
    "dossiers:act",
    "dossiers:attach",
    "queueing:counter_action",
    "queueing:counter_face_check",
    "queueing:desk_action",
    "biometrics:delete",
    "portal:staff_comment_moderate",
}


def _back_office_request(
    client: Any, world: dict[str, Any], name: str, scope: str, user: Any
) -> str:
    from django.urls import reverse

    from motcua.dossiers.models import Attachment

    side = "B" if scope == "other" else "A"
    kwargs: dict[str, Any] = {}
    data: dict[str, Any] = {}
    if name.startswith("dossiers:") and name not in {
        "dossiers:worklist",
        "dossiers:receive",
        "dossiers:ledger",
    }:
        d = _dossier(world, side, 2, holder=user)
        kwargs["code"] = d.code
        if name == "dossiers:attachment":
            kwargs["pk"] = Attachment.objects.create(**_attachment_fields(d)).pk
        if name == "dossiers:form_pdf":
            kwargs["form"] = "01"
        if name == "dossiers:act":
            # The page sends the form back with a message either way: look at the dossier.
            url = reverse(name, kwargs=kwargs)
            body = {"action": "request_supplement", "note": "Thiếu bản sao"}
            outcome = _outcome(client.post(url, body))
            if outcome == "redirect":
                d.refresh_from_db()
                outcome = "moved" if d.status == 5 else "refused"
            return outcome
    elif name in {"queueing:counter", "queueing:counter_face_check", "queueing:counter_action"}:
        kwargs["counter_id"] = world["counters"][side].pk
        if name == "queueing:counter_action":
            kwargs["action"] = "call-next"
    elif name == "queueing:desk_action":
        kwargs["action"] = "uu-tien"
        data = {"office": world["offices"][side].code, "ticket": world["tickets"][side].pk}
    elif name == "queueing:report_export":
        kwargs["fmt"] = "csv"
        data = {"office": world["offices"][side].pk}
    elif name in {"queueing:kiosk", "queueing:board"}:
        kwargs["office"] = world["offices"]["A"].code
    elif name in {"queueing:ticket_live", "queueing:ticket_qr"}:
        kwargs["token"] = world["tickets"]["A"].token
    elif name == "queueing:voice_call":
        data = {"so": "A001", "quay": "1"}
    elif name == "reports:export":
        kwargs["fmt"] = "csv"
    elif name == "biometrics:delete":
        from motcua.biometrics.models import FaceTemplate

        citizen = world["citizens"][side]
        kwargs["id_number"] = citizen.id_number
        data = {"reason": "Công dân yêu cầu"}
        if not FaceTemplate.objects.filter(citizen=citizen).exists():
            FaceTemplate.objects.create(**_face_fields(citizen, world["offices"][side]))
        response = client.post(reverse(name, kwargs=kwargs), data)
        outcome = _outcome(response)
        if outcome == "redirect":  # the page answers with a message either way: look at the data
            erased = not FaceTemplate.objects.filter(citizen=citizen).exists()
            outcome = "erased" if erased else "kept"
        return outcome
    elif name == "portal:staff_news_edit":
        kwargs["pk"] = world["news"].pk
    elif name == "portal:staff_comment_moderate":
        kwargs["pk"] = world["comment"].pk
        data = {"action": "approve"}
    elif name == "web:switch_unit":
        data = {"unit": world["units"]["A"].pk, "next": "/can-bo/"}
    url = reverse(name, kwargs=kwargs)
    if name in POST_ONLY:
        return _outcome(client.post(url, data))
    response = client.get(url, data)
    if name == "queueing:report_export" and response.status_code == 200:
        # Another unit's office is never exported: the caller's own office is, instead.
        asked = world["offices"][side].code
        return "ok" if f"xep-hang-{asked}-" in response["Content-Disposition"] else "own-office"
    return _outcome(response)


def _attachment_fields(dossier: Any) -> dict[str, Any]:
    from django.core.files.base import ContentFile

    body = b"%PDF-1.4\n%%EOF\n"
    return {
        "dossier": dossier,
        "file": ContentFile(body, name="scan.pdf"),
        "original_name": "scan.pdf",
        "content_type": "application/pdf",
        "size": len(body),
        "sha256": "0" * 64,
        "uploaded_at": NOW,
    }


def test_back_office_authorisation_matrix(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    names = {name for _, name in _back_office_patterns()}
    in_table = {name for name, _ in BACK_OFFICE_TABLE}
    assert names - in_table == set(), (
        f"back-office URLs missing from the authorisation matrix: {sorted(names - in_table)}"
    )
    assert in_table - names == set(), f"URLs in the matrix that no longer exist: {in_table - names}"
    results: dict[tuple[str, str], dict[str, str]] = {}
    for name, scope in BACK_OFFICE_TABLE:
        row = {}
        for role in ROLES:
            client.logout()
            user = world["users"].get(role)
            if user is not None:
                client.force_login(user)
            row[role] = _back_office_request(client, world, name, scope, user)
        results[(name, scope)] = row
    assert _mismatches(results, BACK_OFFICE_TABLE) == []
