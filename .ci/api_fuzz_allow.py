"""The API fuzzer's allow-list: the refusals of schema-valid requests that are right all the
same, each with its reason. Loaded by schemathesis (`hooks` in .ci/api-fuzz.toml); a refusal
is let through only when its problem's `code` (and `field`, or a phrase of its `detail`) match
an entry. Every other refusal of a schema-valid request fails the run, as do 5xx answers and
answers outside the document, which nothing here touches.
"""

import json

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData

# (problem code or None, field or None, phrase of the detail or None, reason)
ALLOWED = [
    (
        "invalid_field",
        "cursor",
        None,
        "cursors are opaque: only a next_cursor the listing returned is valid, and the fuzzer "
        "makes them up",
    ),
    (
        "idempotency_key_reused",
        None,
        None,
        "the fuzzer sends one Idempotency-Key with different requests; 422 is the documented "
        "answer",
    ),
    (
        "invalid_request",
        None,
        "invalid type: floating point",
        "JSON Schema counts 22.0 as an integer; the server reads integers written without a "
        "fraction (docs/api.md)",
    ),
    (
        None,
        None,
        "check digit",
        "an IMEI's last digit is its Luhn check digit (documented), which a pattern cannot say",
    ),
    (
        "invalid_field",
        None,
        "no such",
        "a body naming a group, policy or device that does not exist (the fuzzer makes ids up)",
    ),
    (
        "invalid_request",
        None,
        "give exactly one of",
        "a lookup takes exactly one of imei, imsi, phone_number, serial; query parameters "
        "cannot say 'exactly one' in OpenAPI",
    ),
    (
        "invalid_field",
        None,
        "PEM",
        "certificates, keys and PKCS#12 files are checked for what they are; a generated "
        "string is none",
    ),
    (
        "invalid_field",
        None,
        "certificate",
        "certificates, keys and PKCS#12 files are checked for what they are; a generated "
        "string is none",
    ),
    (
        "invalid_field",
        "policy_version",
        None,
        "a check-in's policy_version is opaque: only one a check-in reply gave is valid",
    ),
    (
        "invalid_field",
        "provider",
        "AWS backend only",
        "SNS is a provider of the AWS backend; the fuzzer runs the embedded one",
    ),
    (
        "invalid_field",
        "pin",
        None,
        "a PIN (six digits) is masked when a command is read back, and the command's schema is "
        "shared by both directions, so it cannot carry the pattern",
    ),
    (
        "invalid_field",
        "new_passcode",
        None,
        "a new passcode (4 to 16 characters) is masked when read back, as a PIN is",
    ),
    (
        "invalid_field",
        "credentials",
        "not valid JSON of the expected shape",
        "push credentials are the provider's own document (a Google service account, an APNs "
        "certificate or key), checked for what it is",
    ),
    (
        "invalid_field",
        None,
        "need an SMTP server",
        "IMAP and POP accounts need smtp_host: a rule across two fields",
    ),
    (
        "invalid_field",
        "time_zone",
        "IANA",
        "a time zone must be a name of the IANA database (documented); a pattern cannot list "
        "them",
    ),
    (
        "invalid_field",
        None,
        "must differ from start",
        "a schedule window's end must differ from its start: a rule across two fields",
    ),
    (
        "invalid_field",
        None,
        "a WPA personal network needs one",
        "a WPA2/WPA3 personal network needs a password, the others take none: a rule across "
        "two fields",
    ),
    (
        "invalid_field",
        None,
        "or an IANA time zone name",
        "a schedule's time zone is tenant, device or a name of the IANA database (documented); "
        "a pattern cannot list them",
    ),
    (
        "invalid_field",
        "vpn.app_id",
        "an app VPN names its app",
        "a VPN of kind app names its app, the others their server: a rule across two fields",
    ),
    (
        "invalid_field",
        "vpn.server",
        "this VPN needs a server",
        "a VPN of kind app names its app, the others their server: a rule across two fields",
    ),
    (
        "invalid_field",
        "network.wifi_ssid",
        "only a wifi network",
        "an SSID belongs to a network of type wifi only: a rule across two fields",
    ),
    (
        "invalid_field",
        None,
        "only a WPA personal network takes one",
        "a Wi-Fi password belongs to WPA2/WPA3 personal networks only (and they need one): a "
        "rule across two fields",
    ),
    (
        "invalid_field",
        "storage.free_bytes",
        "cannot exceed",
        "free storage cannot exceed total storage: a rule across two fields",
    ),
    (
        "invalid_field",
        "error",
        "an error result needs",
        "an error result must carry error.code: a rule across two fields",
    ),
    (
        "invalid_field",
        None,
        "repeats the vertex",
        "a polygon's vertex may not repeat the one before it: a rule across array items",
    ),
    (
        "invalid_field",
        "platform",
        "woken with the ios push settings",
        "macOS devices use the ios push settings, so PUT /v1/push-config/macos is refused, "
        "while the path's schema is the Platform enum shared by every route",
    ),
    (
        "invalid_field",
        "shape.points",
        None,
        "a polygon's edges may not cross or touch, and they must enclose an area: rules "
        "across its vertices",
    ),
    (
        "invalid_field",
        None,
        "crosses the antimeridian",
        "a polygon's edge may not cross the antimeridian: a rule across two vertices",
    ),
    (
        "invalid_field",
        "push_magic",
        "only together with the push_token",
        "push_magic comes only with the push_token it belongs to: a rule across two fields",
    ),
    (
        "invalid_field",
        "error",
        "only an error result carries an error",
        "error is allowed on an error result only: a rule across two fields",
    ),
    (
        "webhook_target_refused",
        None,
        None,
        "a webhook target must be https and resolve to public addresses only, which is "
        "checked by resolving the host at registration",
    ),
    (
        "invalid_field",
        "provider",
        "cannot wake",
        "the push provider must fit the path's platform: a rule across the path and the body",
    ),
]


def _problem(response):
    try:
        return json.loads(response.content)
    except (ValueError, TypeError):
        return {}


def _allowed(problem):
    code, field, detail = problem.get("code"), problem.get("field"), problem.get("detail", "")
    for want_code, want_field, phrase, _reason in ALLOWED:
        if want_code is not None and code != want_code:
            continue
        if want_field is not None and field != want_field:
            continue
        if phrase is not None and phrase not in detail:
            continue
        return True
    return False


@schemathesis.hook
def filter_failure(ctx, failure, case, response):
    if isinstance(failure, RejectedPositiveData) and _allowed(_problem(response)):
        return False
    return True
