"""SMS through a provider: an interface, and Aliyun's 短信服务 (dysmsapi `SendSms`) behind it.

A provider sends one approved template (模板) with its parameters to one mobile number and says
whether it went, and if not whether trying again could help. Only the standard library is used.

Aliyun's RPC-style API (`https://dysmsapi.aliyuncs.com/`, `Version=2017-05-25`) signs every
request (签名机制, SignatureVersion 1.0):

1. the parameters (the common ones — AccessKeyId, Action, Format, RegionId, SignatureMethod
   `HMAC-SHA1`, SignatureNonce, SignatureVersion `1.0`, Timestamp `YYYY-MM-DDThh:mm:ssZ` (UTC),
   Version — and SendSms's PhoneNumbers, SignName, TemplateCode, TemplateParam (JSON), OutId),
   Signature excluded, sorted by name;
2. each name and value percent-encoded the "POP" way: UTF-8, unreserved characters
   `A-Z a-z 0-9 - _ . ~` kept, everything else `%XX` in upper case, so a space is `%20` (not
   `+`), `*` is `%2A` and `~` stays `~`; joined `name=value` with `&` — the canonical query;
3. StringToSign = `GET` + `&` + enc(`/`) + `&` + enc(canonical query);
4. Signature = base64(HMAC-SHA1(key = AccessKeySecret + `&`, StringToSign)), sent as one more
   (encoded) parameter.

The answer is JSON: `{"Code": "OK", "Message": "OK", "BizId": …, "RequestId": …}` when the
message is accepted, else `Code` names the error (`isv.MOBILE_NUMBER_ILLEGAL`,
`isv.BUSINESS_LIMIT_CONTROL`, `SignatureDoesNotMatch`…; HTTP 400/403/5xx for some).
"""

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

TIMEOUT_SECONDS = 10

# Mainland mobile numbers (11 digits starting 1[3-9]), optionally written with +86 / 86.
PHONE_RE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")


def normalise_phone(value: str) -> str | None:
    """The 11-digit mobile number in `value` (spaces and dashes allowed), or None if it is not one."""
    digits = re.sub(r"[\s-]", "", value or "")
    match = PHONE_RE.match(digits)
    return match.group(1) if match else None


@dataclass
class SmsResult:
    """What the provider said: ok, or whether to retry, with its code and message."""

    ok: bool
    retry: bool
    code: str = ""
    message: str = ""
    status: int | None = None


class SmsProvider(Protocol):
    """What the outbox needs of an SMS provider."""

    name: str

    def send(
        self, phone: str, template_code: str, params: dict[str, str], out_id: str = ""
    ) -> SmsResult: ...


# --- Aliyun dysmsapi ---------------------------------------------------------------------------


def pop_encode(value: str) -> str:
    """Aliyun's percent-encoding (RFC 3986 unreserved kept; space %20, * %2A, ~ kept)."""
    return urllib.parse.quote(str(value), safe="~")


def canonical_query(params: dict[str, str]) -> str:
    return "&".join(f"{pop_encode(k)}={pop_encode(params[k])}" for k in sorted(params))


def aliyun_signature(secret: str, params: dict[str, str], method: str = "GET") -> str:
    """The `Signature` of a request's parameters (without Signature itself), base64."""
    string_to_sign = f"{method}&{pop_encode('/')}&{pop_encode(canonical_query(params))}"
    mac = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


# Aliyun codes worth another try (flow control, a busy system, a reused nonce, no balance yet).
ALIYUN_RETRY = {
    "isp.SYSTEM_ERROR",
    "isv.BUSINESS_LIMIT_CONTROL",
    "isv.DAY_LIMIT_CONTROL",
    "isv.OUT_OF_SERVICE",
    "isv.AMOUNT_NOT_ENOUGH",
    "Throttling",
    "Throttling.User",
    "Throttling.Api",
    "ServiceUnavailable",
    "InternalError",
    "SignatureNonceUsed",
}


class AliyunSms:
    """Aliyun 短信服务 SendSms, signed with the standard library."""

    name = "aliyun"
    version = "2017-05-25"

    def __init__(
        self,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        *,
        endpoint: str = "https://dysmsapi.aliyuncs.com/",
        region: str = "cn-hangzhou",
    ) -> None:
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.endpoint = endpoint
        self.region = region

    def params(
        self,
        phone: str,
        template_code: str,
        template_params: dict[str, str],
        out_id: str = "",
        *,
        now: dt.datetime | None = None,
        nonce: str | None = None,
    ) -> dict[str, str]:
        """Every parameter of the SendSms request, the Signature last."""
        moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        params = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": phone,
            "RegionId": self.region,
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce or uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": template_code,
            "TemplateParam": json.dumps(template_params, ensure_ascii=False, separators=(",", ":")),
            "Timestamp": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": self.version,
        }
        if out_id:
            params["OutId"] = out_id
        params["Signature"] = aliyun_signature(self.access_key_secret, params)
        return params

    def url(self, params: dict[str, str]) -> str:
        signature = params["Signature"]
        rest = {k: v for k, v in params.items() if k != "Signature"}
        return f"{self.endpoint}?Signature={pop_encode(signature)}&{canonical_query(rest)}"

    def send(
        self, phone: str, template_code: str, params: dict[str, str], out_id: str = ""
    ) -> SmsResult:
        url = self.url(self.params(phone, template_code, params, out_id))
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            return SmsResult(ok=False, retry=False, code="config", message="not an http(s) URL")
        request = urllib.request.Request(url, method="GET")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                status, raw = int(response.status), response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            return SmsResult(ok=False, retry=True, message=f"{type(exc).__name__}: {reason}")
        return self.judge(status, raw)

    @staticmethod
    def judge(status: int, raw: bytes) -> SmsResult:
        try:
            data: Any = json.loads(raw.decode("utf-8", errors="replace"))
        except ValueError:
            data = None
        if not isinstance(data, dict) or "Code" not in data:
            return SmsResult(
                ok=False,
                retry=status >= 500 or status == 429,
                message=f"HTTP {status}",
                status=status,
            )
        code, text = str(data["Code"]), str(data.get("Message", ""))
        if code == "OK" and 200 <= status < 300:
            return SmsResult(ok=True, retry=False, code=code, message=text, status=status)
        retry = code in ALIYUN_RETRY or status >= 500
        return SmsResult(ok=False, retry=retry, code=code, message=text, status=status)


PROVIDERS = {"aliyun": AliyunSms}


def configured() -> bool:
    """Whether SMS is switched on (GUANJIA_SMS_PROVIDER set)."""
    return bool(getattr(settings, "GUANJIA_SMS_PROVIDER", ""))


def provider() -> SmsProvider:
    """The provider GUANJIA_SMS_* configure."""
    name = getattr(settings, "GUANJIA_SMS_PROVIDER", "")
    if name not in PROVIDERS:
        raise ImproperlyConfigured(
            f"GUANJIA_SMS_PROVIDER={name!r}: choose one of {sorted(PROVIDERS)}"
        )
    return PROVIDERS[name](
        settings.GUANJIA_SMS_ACCESS_KEY_ID,
        settings.GUANJIA_SMS_ACCESS_KEY_SECRET,
        settings.GUANJIA_SMS_SIGN_NAME,
        endpoint=settings.GUANJIA_SMS_ENDPOINT,
        region=settings.GUANJIA_SMS_REGION,
    )


# --- Templates -------------------------------------------------------------------------------

PARAM_SOURCES = ("title", "body", "url", "kind", "number")
# Aliyun allows at most 35 characters in a template variable (a longer one is refused).
PARAM_MAX = 35
NUMBER_RE = re.compile(r"[A-Z]{1,4}\d{6,}[-\d]*")


def parse_params(spec: str) -> dict[str, str]:
    """'title=title,link=url' → {"title": "title", "link": "url"}; ValueError names a bad item."""
    result: dict[str, str] = {}
    for item in (p.strip() for p in spec.split(",")):
        if not item:
            continue
        name, sep, source = (s.strip() for s in item.partition("="))
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,30}", name):
            raise ValueError(f"{item!r}: write variable=source, e.g. title=title")
        if source not in PARAM_SOURCES:
            raise ValueError(f"{item!r}: the source is one of {', '.join(PARAM_SOURCES)}")
        result[name] = source
    return result


def fill(spec: str, payload: dict[str, Any]) -> dict[str, str]:
    """The template's variables from a notification's payload, each cut to PARAM_MAX."""
    values: dict[str, str] = {
        "title": str(payload.get("title", "")),
        "body": str(payload.get("body", "")),
        "url": str(payload.get("url", "")),
        "kind": str(payload.get("event", "")),
    }
    found = NUMBER_RE.search(values["title"] + " " + values["body"])
    values["number"] = found.group(0) if found else ""
    return {name: values[source][:PARAM_MAX] for name, source in parse_params(spec).items()}
