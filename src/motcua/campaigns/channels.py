"""Where a campaign is posted outside motcua: a Zalo Official Account article and a Facebook Page
post, each behind one small adapter (the same shape as notifications.channels).

Neither API takes an idempotency key, so a post is recognised by its tracking link instead: every
post carries the campaign's link with ``cd=<CODE>.<channel>``, and before a retry the adapter
looks through the account's latest posts for it (`find`). A worker that died after the provider
answered therefore never posts a second time: the retry finds the first post and keeps its id.

- Zalo OA articles (Official Account API v2.0, ``access_token`` header):
  ``POST {base}/v2.0/article/create`` JSON ``{type: "normal", title, author, cover: {cover_type:
  "photo", photo_url, status: "show"}, description, body: [{type: "text", content} | {type:
  "image", url}], status: "show", comment: "show", tracking_link}`` → ``{error: 0, data:
  {token}}``; ``POST {base}/v2.0/article/verify`` ``{token}`` → ``{error: 0, data: {id}}``;
  ``GET {base}/v2.0/article/getslice?offset=0&limit=10&type=normal`` → ``{error: 0, data:
  {medias: [...]}}``; ``GET {base}/v2.0/article/getdetail?id=`` → ``{error: 0, data:
  {total_view, ...}}``. The fields of getslice's items (``tracking_link``, ``description``) and
  ``total_view`` are as the public SDK examples show them: check them against the OA account.
- Facebook Page (Graph API with a Page access token): ``POST {base}/{page-id}/feed``
  (``message``, ``link``) or ``POST {base}/{page-id}/photos`` (``url``, ``caption``) → ``{id}`` /
  ``{id, post_id}``; ``GET {base}/{page-id}/feed?fields=id,message`` to find a post;
  ``GET {base}/{post-id}/insights?metric=post_impressions_unique`` for its reach. Errors are
  HTTP 4xx with ``{error: {message, type, code}}``; codes 1, 2, 4, 17, 32, 341, 368 (rate limits,
  temporary trouble) are worth retrying, the others (190 bad token, 200 permissions, 100 bad
  parameter) are not.

Settings (environment, or settings.MOTCUA in tests): ``CAMPAIGN_ZALO_URL``,
``CAMPAIGN_ZALO_TOKEN``, ``CAMPAIGN_ZALO_AUTHOR``, ``CAMPAIGN_FACEBOOK_URL``,
``CAMPAIGN_FACEBOOK_PAGE_ID``, ``CAMPAIGN_FACEBOOK_TOKEN``; the defaults point at the stand-ins of
``motcua campaign-doubles``.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings

DEFAULTS = {
    "CAMPAIGN_ZALO_URL": "http://127.0.0.1:8773",
    # Only for the stand-ins and the demo: a real office sets its own secrets.
    "CAMPAIGN_ZALO_TOKEN": "standin-zalo-oa-token-not-for-production",
    "CAMPAIGN_ZALO_AUTHOR": "Bộ phận một cửa",
    "CAMPAIGN_FACEBOOK_URL": "http://127.0.0.1:8774",
    "CAMPAIGN_FACEBOOK_PAGE_ID": "100000000000001",
    "CAMPAIGN_FACEBOOK_TOKEN": "standin-facebook-page-token-not-for-production",
    "CAMPAIGN_TIMEOUT": "10",
}

# Graph API error codes worth another try (throttling, temporary trouble on Facebook's side).
FACEBOOK_RETRY_CODES = {1, 2, 4, 17, 32, 341, 368}
# Zalo error codes that another try will not fix (bad token, bad parameters, no permission).
ZALO_PERMANENT_CODES = {-201, -216, -217, -224, -230}


def conf(name: str) -> str:
    value = getattr(settings, "MOTCUA", {}).get(name)
    if value in (None, ""):
        value = os.environ.get(name) or DEFAULTS[name]
    return str(value)


class PostError(Exception):
    """The post did not go out. `permanent`: trying again will not help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Draft:
    """What a channel is asked to post."""

    code: str
    channel: str
    title: str
    text: str
    link: str  # the tracking link (carries cd=CODE.channel)
    image_url: str = ""
    image_alt: str = ""

    @property
    def marker(self) -> str:
        return f"cd={self.code}.{self.channel}"


@dataclass(frozen=True)
class Posted:
    provider_id: str
    url: str = ""
    found: bool = False  # an earlier attempt's post, found instead of posting again


def _request(
    method: str,
    url: str,
    *,
    json_body: dict[str, Any] | None = None,
    form: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    if not url.startswith(("http://", "https://")):
        raise PostError(f"Địa chỉ dịch vụ không hợp lệ: {url}", permanent=True)
    data = None
    all_headers = dict(headers or {})
    if json_body is not None:
        data = json.dumps(json_body, ensure_ascii=False).encode()
        all_headers["Content-Type"] = "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=data, method=method, headers=all_headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=float(conf("CAMPAIGN_TIMEOUT"))) as answer:  # noqa: S310
            return answer.status, dict(json.loads(answer.read() or b"{}"))
    except urllib.error.HTTPError as exc:
        try:
            body = dict(json.loads(exc.read() or b"{}"))
        except ValueError:
            body = {}
        return exc.code, body
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise PostError(f"Không kết nối được: {exc}") from exc


class Poster:
    """The interface of an outside channel."""

    name = ""

    def post(self, draft: Draft) -> Posted:
        raise NotImplementedError

    def find(self, draft: Draft) -> Posted | None:
        """The post an earlier attempt made, if the channel has it."""
        raise NotImplementedError

    def reach(self, provider_id: str) -> int | None:
        raise NotImplementedError


class ZaloOaArticles(Poster):
    name = "zalo"

    def _base(self) -> str:
        return conf("CAMPAIGN_ZALO_URL").rstrip("/") + "/v2.0/article"

    def _headers(self) -> dict[str, str]:
        return {"access_token": conf("CAMPAIGN_ZALO_TOKEN")}

    def _check(self, status: int, answer: dict[str, Any]) -> dict[str, Any]:
        error = int(answer.get("error", -1)) if status < 500 else -1
        if status >= 500 or error != 0:
            raise PostError(
                f"Zalo OA từ chối ({error}): {answer.get('message', '')}",
                permanent=error in ZALO_PERMANENT_CODES,
            )
        return dict(answer.get("data") or {})

    def post(self, draft: Draft) -> Posted:
        description = f"{draft.text[:200]} Xem chi tiết: {draft.link}"[:300]
        body: list[dict[str, Any]] = [{"type": "text", "content": draft.text}]
        if draft.image_url:
            body.append({"type": "image", "url": draft.image_url, "caption": draft.image_alt})
        body.append({"type": "text", "content": f"Xem chi tiết: {draft.link}"})
        article: dict[str, Any] = {
            "type": "normal",
            "title": draft.title[:150],
            "author": conf("CAMPAIGN_ZALO_AUTHOR")[:50],
            "description": description,
            "body": body,
            "status": "show",
            "comment": "show",
            "tracking_link": draft.link,
        }
        if draft.image_url:
            article["cover"] = {
                "cover_type": "photo",
                "photo_url": draft.image_url,
                "status": "show",
            }
        created = self._check(
            *_request("POST", self._base() + "/create", json_body=article, headers=self._headers())
        )
        token = str(created.get("token") or "")
        verified = self._check(
            *_request(
                "POST",
                self._base() + "/verify",
                json_body={"token": token},
                headers=self._headers(),
            )
        )
        article_id = str(verified.get("id") or "")
        if not article_id:
            raise PostError("Zalo OA chưa trả mã bài viết.")
        return Posted(article_id, str(verified.get("url") or ""))

    def find(self, draft: Draft) -> Posted | None:
        query = urllib.parse.urlencode({"offset": 0, "limit": 10, "type": "normal"})
        data = self._check(
            *_request("GET", self._base() + "/getslice?" + query, headers=self._headers())
        )
        for item in data.get("medias") or []:
            text = f"{item.get('tracking_link', '')} {item.get('description', '')}"
            if draft.marker in text:
                return Posted(str(item.get("id")), str(item.get("link") or ""), found=True)
        return None

    def reach(self, provider_id: str) -> int | None:
        query = urllib.parse.urlencode({"id": provider_id})
        data = self._check(
            *_request("GET", self._base() + "/getdetail?" + query, headers=self._headers())
        )
        views = data.get("total_view")
        return int(views) if isinstance(views, int) else None


class FacebookPage(Poster):
    name = "facebook"

    def _url(self, path: str) -> str:
        return conf("CAMPAIGN_FACEBOOK_URL").rstrip("/") + "/" + path.lstrip("/")

    def _check(self, status: int, answer: dict[str, Any]) -> dict[str, Any]:
        if status < 400 and "error" not in answer:
            return answer
        error = answer.get("error") or {}
        code = int(error.get("code") or 0) if isinstance(error, dict) else 0
        message = error.get("message", "") if isinstance(error, dict) else ""
        raise PostError(
            f"Facebook từ chối (HTTP {status}, mã {code}): {message}",
            permanent=status < 500 and code not in FACEBOOK_RETRY_CODES,
        )

    def post(self, draft: Draft) -> Posted:
        page = conf("CAMPAIGN_FACEBOOK_PAGE_ID")
        token = conf("CAMPAIGN_FACEBOOK_TOKEN")
        message = f"{draft.title}\n\n{draft.text}\n\nXem chi tiết: {draft.link}"
        if draft.image_url:
            answer = self._check(
                *_request(
                    "POST",
                    self._url(f"{page}/photos"),
                    form={"url": draft.image_url, "caption": message, "access_token": token},
                )
            )
            post_id = str(answer.get("post_id") or answer.get("id") or "")
        else:
            answer = self._check(
                *_request(
                    "POST",
                    self._url(f"{page}/feed"),
                    form={"message": message, "link": draft.link, "access_token": token},
                )
            )
            post_id = str(answer.get("id") or "")
        if not post_id:
            raise PostError("Facebook chưa trả mã bài đăng.")
        return Posted(post_id, f"https://www.facebook.com/{post_id}")

    def find(self, draft: Draft) -> Posted | None:
        page = conf("CAMPAIGN_FACEBOOK_PAGE_ID")
        query = urllib.parse.urlencode(
            {"fields": "id,message", "limit": 25, "access_token": conf("CAMPAIGN_FACEBOOK_TOKEN")}
        )
        answer = self._check(*_request("GET", self._url(f"{page}/feed?{query}")))
        for item in answer.get("data") or []:
            if draft.marker in str(item.get("message", "")):
                post_id = str(item.get("id"))
                return Posted(post_id, f"https://www.facebook.com/{post_id}", found=True)
        return None

    def reach(self, provider_id: str) -> int | None:
        query = urllib.parse.urlencode(
            {"metric": "post_impressions_unique", "access_token": conf("CAMPAIGN_FACEBOOK_TOKEN")}
        )
        answer = self._check(*_request("GET", self._url(f"{provider_id}/insights?{query}")))
        for metric in answer.get("data") or []:
            if metric.get("name") == "post_impressions_unique":
                values = metric.get("values") or [{}]
                value = values[-1].get("value")
                return int(value) if isinstance(value, int) else None
        return None


POSTERS: dict[str, type[Poster]] = {"zalo": ZaloOaArticles, "facebook": FacebookPage}


def poster_for(name: str) -> Poster:
    return POSTERS[name]()
