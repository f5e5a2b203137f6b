"""CCR 3.1.1's management RPC: `POST /api/ccr/rpc` on the web service whose address and
token a running CCR leaves in <ccr dir>/service.json (`url` with `ccr_web_token=`).

Only the methods ccrgen needs: getAppInfo, getConfig, saveConfig, saveApiKeys,
getGatewayStatus. A CCR is taken as running when its service.json names a live process and
getAppInfo answers for the same config folder.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ccrgen.errors import ExternalError

SERVICE_FILE = "service.json"
RPC_PATH = "/api/ccr/rpc"


@dataclass(frozen=True)
class Service:
    pid: int | None
    base_url: str               # http://127.0.0.1:3458
    token: str | None

    def call(self, method: str, *args, timeout: float = 30):
        body = json.dumps({"method": method, "args": list(args)}).encode("utf-8")
        request = urllib.request.Request(self.base_url + RPC_PATH, data=body, method="POST", headers={
            "content-type": "application/json", "x-ccr-web-auth": self.token or ""})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                answer = json.loads(response.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as exc:
            raise ExternalError(f"CCR's management service answered {exc.code} to {method}: {_error_text(exc)}",
                                hint="is this CCR 3.1.1? `ccr stop` and run ccrgen again to write config.sqlite") from None
        except (OSError, ValueError) as exc:
            raise ExternalError(f"CCR's management service at {self.base_url} failed on {method}: {exc}") from None
        if not isinstance(answer, dict) or not answer.get("ok"):
            error = answer.get("error") if isinstance(answer, dict) else answer
            raise ExternalError(f"CCR refused {method}: {_short(error)}")
        return answer.get("value")


def _error_text(exc: urllib.error.HTTPError) -> str:
    try:
        answer = json.loads(exc.read().decode("utf-8", "replace"))
    except (OSError, ValueError):
        return "(no details)"
    return _short(answer.get("error", answer) if isinstance(answer, dict) else answer)


def _short(error) -> str:
    text = error.get("message", error) if isinstance(error, dict) else error
    return str(text)[:300]


def service_of(ccr_dir: Path) -> Service | None:
    """The service a CCR 3.x left in service.json, if its process is alive."""
    from ccrgen.doctor.probe import pid_alive

    try:
        data = json.loads((Path(ccr_dir) / SERVICE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("url"), str):
        return None
    pid = data.get("pid") if isinstance(data.get("pid"), int) else None
    if pid is not None and not pid_alive(pid):
        return None
    url = urllib.parse.urlparse(data["url"])
    token = (urllib.parse.parse_qs(url.query).get("ccr_web_token") or [None])[0]
    token = token or os.environ.get("CCR_WEB_AUTH_TOKEN")
    return Service(pid, f"{url.scheme}://{url.netloc}", token)


def running(ccr_dir: Path) -> Service | None:
    """The running CCR 3.x that serves `ccr_dir`, or None (stopped, or another folder's)."""
    service = service_of(ccr_dir)
    if service is None:
        return None
    try:
        info = service.call("getAppInfo", timeout=5)
    except ExternalError:
        return None
    config_dir = info.get("configDir") if isinstance(info, dict) else None
    if config_dir and Path(config_dir).resolve() != Path(ccr_dir).resolve():
        return None
    return service
