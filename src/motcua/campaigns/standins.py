"""Local stand-ins of the Zalo Official Account article API and the Facebook Graph API (Page
posts), for tests, the demo and `motcua campaign-doubles`. Each records what was posted, speaks
the provider's documented request and answer shapes (see channels.py), checks the access token,
and can play a failure (`fail_next`) or "the answer was lost" (`drop_answer_next`: the post is
made, then the connection is cut before the answer, as when a worker dies mid-call). State lives
in memory; the server is core.standin's.
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
import urllib.parse
from typing import Any

from motcua.core.standin import StandinHandler, StandinServer


class _Handler(StandinHandler):
    def _answer(self, method: str) -> None:
        state = self.state
        parsed = urllib.parse.urlsplit(self.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(parsed.query).items()}
        raw = self._body()
        ctype = self.headers.get("Content-Type") or ""
        body: Any
        if ctype.startswith("application/json"):
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {}
        else:
            body = {k: v[-1] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
        with state.lock:
            state.requests += 1
        status, answer = state.handle(method, parsed.path, query, body, self.headers)
        if status == 0:  # the post was made; the answer is lost on the way back
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self._json(status, answer)

    def do_GET(self) -> None:  # noqa: N802
        self._answer("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._answer("POST")


class _Standin(StandinServer):
    handler = _Handler

    def __init__(self, *, token: str) -> None:
        self.token = token
        self.posts: list[dict[str, Any]] = []
        self.requests = 0
        self.lock = threading.Lock()
        self.fail_next = 0
        self.drop_answer_next = 0
        self.reach: dict[str, int] = {}  # post id → reach the stand-in reports

    def _take(self, attr: str) -> bool:
        with self.lock:
            if getattr(self, attr) > 0:
                setattr(self, attr, getattr(self, attr) - 1)
                return True
            return False

    def handle(
        self, method: str, path: str, query: dict[str, str], body: Any, headers: Any
    ) -> tuple[int, dict[str, Any]]:
        raise NotImplementedError


class ZaloOaStandin(_Standin):
    """Zalo OA articles: create (answers a token), verify (answers the id), list, detail."""

    def __init__(self, *, token: str) -> None:
        super().__init__(token=token)
        self.pending: dict[str, dict[str, Any]] = {}  # token → article awaiting verify

    def handle(
        self, method: str, path: str, query: dict[str, str], body: Any, headers: Any
    ) -> tuple[int, dict[str, Any]]:
        if not hmac.compare_digest(headers.get("access_token") or "", self.token):
            return 200, {"error": -216, "message": "Access token is invalid"}
        if method == "POST" and path == "/v2.0/article/create":
            if not isinstance(body, dict) or body.get("type") != "normal":
                return 200, {"error": -201, "message": "Parameters are invalid"}
            for required in ("title", "author", "description", "body"):
                if not body.get(required):
                    return 200, {"error": -201, "message": f"{required} is required"}
            if len(str(body["title"])) > 150 or len(str(body["description"])) > 300:
                return 200, {"error": -201, "message": "title or description too long"}
            if self._take("fail_next"):
                return 200, {"error": -32, "message": "Request limit exceeded"}
            token = secrets.token_urlsafe(24)
            with self.lock:
                article_id = secrets.token_hex(16)
                article = {
                    **body,
                    "id": article_id,
                    "link": f"https://zalo.me/oa/article/{article_id}",
                }
                self.pending[token] = article
                # The article exists from here on (status "show"): the OA's followers see it.
                self.posts.append(article)
                self.reach.setdefault(article_id, 0)
            if self._take("drop_answer_next"):
                return 0, {}
            return 200, {"error": 0, "message": "Success", "data": {"token": token}}
        if method == "POST" and path == "/v2.0/article/verify":
            found = self.pending.get(str((body or {}).get("token") or ""))
            if found is None:
                return 200, {"error": -201, "message": "Token is invalid"}
            return 200, {
                "error": 0,
                "message": "Success",
                "data": {"id": found["id"], "url": found["link"]},
            }
        if method == "GET" and path == "/v2.0/article/getslice":
            offset, limit = int(query.get("offset", 0)), min(int(query.get("limit", 10)), 10)
            with self.lock:
                items = list(reversed(self.posts))[offset : offset + limit]
            medias = [
                {
                    "id": a["id"],
                    "title": a["title"],
                    "description": a["description"],
                    "tracking_link": a.get("tracking_link", ""),
                    "link": a["link"],
                    "status": a.get("status", "show"),
                    "total_view": self.reach.get(a["id"], 0),
                }
                for a in items
            ]
            return 200, {"error": 0, "data": {"medias": medias, "total": len(self.posts)}}
        if method == "GET" and path == "/v2.0/article/getdetail":
            found = next((a for a in self.posts if a["id"] == query.get("id")), None)
            if found is None:
                return 200, {"error": -201, "message": "Article not found"}
            return 200, {
                "error": 0,
                "data": {**found, "total_view": self.reach.get(found["id"], 0)},
            }
        return 404, {"error": -404, "message": "not found"}


class FacebookStandin(_Standin):
    """A Facebook Page: /{page-id}/feed and /{page-id}/photos (POST to post, GET to list) and
    /{post-id}/insights, with the Page access token."""

    def __init__(self, *, token: str, page_id: str) -> None:
        super().__init__(token=token)
        self.page_id = page_id

    def _error(self, status: int, code: int, message: str, kind: str = "OAuthException") -> Any:
        return status, {
            "error": {"message": message, "type": kind, "code": code, "fbtrace_id": "standin"}
        }

    def handle(
        self, method: str, path: str, query: dict[str, str], body: Any, headers: Any
    ) -> tuple[int, dict[str, Any]]:
        params = {**query, **(body if isinstance(body, dict) else {})}
        if not hmac.compare_digest(str(params.get("access_token") or ""), self.token):
            return self._error(400, 190, "Invalid OAuth access token.")
        parts = [p for p in path.split("/") if p]
        if len(parts) >= 2 and parts[0].startswith("v") and "." in parts[0]:
            parts = parts[1:]  # a versioned path (/v21.0/...) is the same call
        if len(parts) == 2 and parts[0] == self.page_id and parts[1] in {"feed", "photos"}:
            if method == "GET":
                with self.lock:
                    items = list(reversed(self.posts))[: int(params.get("limit", 25))]
                data = [{"id": p["id"], "message": p.get("message", "")} for p in items]
                return 200, {"data": data, "paging": {}}
            if self._take("fail_next"):
                return self._error(400, 368, "Temporarily blocked for policies violations")
            if parts[1] == "feed":
                if not params.get("message") and not params.get("link"):
                    return self._error(
                        400, 100, "(#100) Missing message or link", "GraphMethodException"
                    )
                post = {"message": params.get("message", ""), "link": params.get("link", "")}
            else:
                if not params.get("url"):
                    return self._error(
                        400, 324, "(#324) Requires upload file", "GraphMethodException"
                    )
                post = {"message": params.get("caption", ""), "photo_url": params["url"]}
            with self.lock:
                post_id = f"{self.page_id}_{secrets.randbelow(10**15):015d}"
                photo_id = f"{secrets.randbelow(10**15):015d}"
                self.posts.append({**post, "id": post_id, "kind": parts[1]})
                self.reach.setdefault(post_id, 0)
            if self._take("drop_answer_next"):
                return 0, {}
            if parts[1] == "photos":
                return 200, {"id": photo_id, "post_id": post_id}
            return 200, {"id": post_id}
        if len(parts) == 2 and parts[1] == "insights" and method == "GET":
            if not any(p["id"] == parts[0] for p in self.posts):
                return self._error(400, 100, "Unsupported get request.", "GraphMethodException")
            value = self.reach.get(parts[0], 0)
            return 200, {
                "data": [
                    {
                        "name": "post_impressions_unique",
                        "period": "lifetime",
                        "values": [{"value": value}],
                        "title": "Lifetime Post Total Reach",
                        "id": f"{parts[0]}/insights/post_impressions_unique/lifetime",
                    }
                ]
            }
        return self._error(400, 803, "(#803) Some of the aliases you requested do not exist")


def configured_standins() -> tuple[ZaloOaStandin, FacebookStandin]:
    """Both stand-ins with the token and page the settings name (the adapters' defaults), as
    `campaign-doubles` and `notify-doubles` start them."""
    from motcua.campaigns.channels import conf

    zalo = ZaloOaStandin(token=conf("CAMPAIGN_ZALO_TOKEN"))
    facebook = FacebookStandin(
        token=conf("CAMPAIGN_FACEBOOK_TOKEN"), page_id=conf("CAMPAIGN_FACEBOOK_PAGE_ID")
    )
    return zalo, facebook
