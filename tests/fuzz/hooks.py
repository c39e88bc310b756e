"""schemathesis hooks for tests/fuzz/run.sh: sign in as FUZZ_USER and send its access token.

The token is fetched again every few seconds, because the fuzzer itself ends sessions
(logout, revoking sessions, changing settings) and a stale token would only test the 401.
"""

import json
import os
import urllib.request

import schemathesis

BASE = os.environ["FUZZ_BASE_URL"]


def login():
    body = json.dumps({"username": os.environ["FUZZ_USER"], "password": os.environ["FUZZ_PASSWORD"]})
    req = urllib.request.Request(
        BASE + "/api/auth/login",
        data=body.encode(),
        # Another address than the fuzzer's (run.sh trusts loopback as a proxy): the fuzzer's
        # failed logins lock its own address out, not these.
        headers={"content-type": "application/json", "x-forwarded-for": "192.0.2.10"},
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)["access_token"]


if os.environ.get("FUZZ_USER"):

    @schemathesis.auth(refresh_interval=3)
    class SignedIn:
        def get(self, case, ctx):
            return login()

        def set(self, case, data, ctx):
            case.headers = case.headers or {}
            case.headers["Authorization"] = f"Bearer {data}"
