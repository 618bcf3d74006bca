"""Group robots: 企业微信 (WeCom), 钉钉 (DingTalk) and 飞书 (Feishu/Lark) custom robots.

Each platform takes a JSON POST to the robot's webhook address and answers 200 with a JSON body
whose code says what happened; we follow their documented formats:

- 企业微信 群机器人: `POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY`
  `{"msgtype": "text", "text": {"content": …}}` or `{"msgtype": "markdown", "markdown":
  {"content": …}}`; answer `{"errcode": 0, "errmsg": "ok"}`. No signing: the key in the URL is the
  credential.
- 钉钉 自定义机器人: `POST https://oapi.dingtalk.com/robot/send?access_token=…&timestamp=T&sign=S`
  where T is Unix milliseconds and S = urlencode(base64(HMAC-SHA256(key=secret,
  msg="T\\nsecret"))) (加签); `{"msgtype": "text", "text": {"content": …}}` or `{"msgtype":
  "markdown", "markdown": {"title": …, "text": …}}`; answer `{"errcode": 0, "errmsg": "ok"}`.
- 飞书 自定义机器人: `POST https://open.feishu.cn/open-apis/bot/v2/hook/…` with `"timestamp": T`
  (Unix seconds) and `"sign": base64(HMAC-SHA256(key="T\\nsecret", msg=b""))` in the body;
  `{"msg_type": "text", "content": {"text": …}}`, or for markdown an interactive card with a
  `markdown` element; answer `{"code": 0, "msg": "success"}` (older: `{"StatusCode": 0}`).

An answer with a code other than 0 is a failure: the ones that pass (busy, rate-limited) are
retried with back-off, the others (a wrong key or signature, a dissolved group, a bad message)
fail the delivery at once — retrying would not help.
"""

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext

from .models import Channel, MessageFormat

# Codes that mean "try again later"; any other non-zero code is a permanent failure.
RETRY_CODES: dict[str, set[int]] = {
    # -1 系统繁忙; 45009 接口调用超过限制 (20 messages a minute per robot); 45033 并发超限.
    Channel.WECOM: {-1, 45009, 45033},
    # -1 系统繁忙; 130101 发送太快 (20 a minute); 410100 发送速度太快而限流.
    Channel.DINGTALK: {-1, 130101, 410100},
    # 11232 frequency limited; 9499 "Bad Request" is permanent; 99991400 request too fast.
    Channel.FEISHU: {11232, 99991400},
}

# What the platforms accept in one message (bytes of UTF-8): longer texts are cut.
TEXT_LIMIT = {Channel.WECOM: 2000, Channel.DINGTALK: 4000, Channel.FEISHU: 4000}
MARKDOWN_LIMIT = {Channel.WECOM: 4000, Channel.DINGTALK: 4000, Channel.FEISHU: 4000}


@dataclass
class Outcome:
    """What a platform (or the network) said to one attempt."""

    ok: bool
    retry: bool
    code: str = ""
    status: int | None = None
    error: str = ""


def dingtalk_sign(secret: str, timestamp_ms: int | str) -> str:
    """钉钉's `sign` (before URL-encoding): base64(HMAC-SHA256(secret, "timestamp\\nsecret"))."""
    mac = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def feishu_sign(secret: str, timestamp: int | str) -> str:
    """飞书's `sign`: base64(HMAC-SHA256 keyed with "timestamp\\nsecret" over an empty message)."""
    mac = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def _cut(text: str, limit: int) -> str:
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode(errors="ignore") + "…"


def _lines(payload: dict[str, Any]) -> tuple[str, str, str]:
    return str(payload.get("title", "")), str(payload.get("body", "")), str(payload.get("url", ""))


def text_of(payload: dict[str, Any]) -> str:
    title, body, url = _lines(payload)
    return "\n".join(part for part in (title, body, url) if part)


def markdown_of(payload: dict[str, Any], platform: str) -> str:
    title, body, url = _lines(payload)
    lines = [f"**{title}**" if platform == Channel.WECOM else f"#### {title}"]
    if body:
        lines.append("> " + body.replace("\n", "\n> ") if platform != Channel.FEISHU else body)
    if url:
        lines.append(f"[{gettext('View details')}]({url})")
    return "\n\n".join(lines) if platform != Channel.WECOM else "\n".join(lines)


def message(platform: str, fmt: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The JSON body the platform documents for a text or markdown message (unsigned)."""
    title, _body, _url = _lines(payload)
    if fmt == MessageFormat.MARKDOWN:
        md = _cut(markdown_of(payload, platform), MARKDOWN_LIMIT[platform])  # type: ignore[index]
        if platform == Channel.WECOM:
            return {"msgtype": "markdown", "markdown": {"content": md}}
        if platform == Channel.DINGTALK:
            return {"msgtype": "markdown", "markdown": {"title": title[:100], "text": md}}
        return {
            "msg_type": "interactive",
            "card": {
                "header": {"title": {"tag": "plain_text", "content": title[:100]}},
                "elements": [{"tag": "markdown", "content": md}],
            },
        }
    text = _cut(text_of(payload), TEXT_LIMIT[platform])  # type: ignore[index]
    if platform == Channel.FEISHU:
        return {"msg_type": "text", "content": {"text": text}}
    return {"msgtype": "text", "text": {"content": text}}


def signed_request(
    platform: str, url: str, secret: str, body: dict[str, Any], now: float | None = None
) -> tuple[str, bytes]:
    """The URL and the raw body to POST, signed as the platform requires (when a secret is set)."""
    moment = time.time() if now is None else now
    if platform == Channel.DINGTALK and secret:
        stamp = int(moment * 1000)
        query = urllib.parse.urlencode({"timestamp": stamp, "sign": dingtalk_sign(secret, stamp)})
        url = url + ("&" if urllib.parse.urlsplit(url).query else "?") + query
    elif platform == Channel.FEISHU and secret:
        stamp = int(moment)
        body = {"timestamp": str(stamp), "sign": feishu_sign(secret, stamp), **body}
    return url, json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def judge(platform: str, status: int | None, raw: bytes, error: str = "") -> Outcome:
    """Read the platform's answer: ok on code 0; a code in RETRY_CODES, a 5xx, a 429 or no
    answer at all is retried; any other code or client error fails for good."""
    data: Any = None
    if raw:
        try:
            data = json.loads(raw.decode("utf-8", errors="replace"))
        except ValueError:
            data = None
    code: int | None = None
    message_text = ""
    if isinstance(data, dict):
        for key, text_key in (
            ("errcode", "errmsg"),
            ("code", "msg"),
            ("StatusCode", "StatusMessage"),
        ):
            if key in data:
                try:
                    code = int(data[key])
                except (TypeError, ValueError):
                    code = None
                message_text = str(data.get(text_key, ""))
                break
    if status is None:
        return Outcome(ok=False, retry=True, status=None, error=error or "no answer")
    if code is None:
        if 200 <= status < 300:
            return Outcome(ok=False, retry=True, status=status, error=f"HTTP {status}: no code")
        passing = status >= 500 or status in (408, 429)
        return Outcome(ok=False, retry=passing, status=status, error=error or f"HTTP {status}")
    if code == 0 and 200 <= status < 300:
        return Outcome(ok=True, retry=False, code="0", status=status)
    retry = code in RETRY_CODES.get(platform, set()) or status >= 500 or status == 429
    return Outcome(
        ok=False,
        retry=retry,
        code=str(code),
        status=status,
        error=f"{platform} errcode {code}: {message_text}"[:2000],
    )
