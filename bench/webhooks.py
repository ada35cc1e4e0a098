"""Webhook accept rate and latency, and end-to-end ingest rate per worker (issue 3).

    .venv/bin/python bench/webhooks.py              # PostgreSQL at 127.0.0.1 (database tingjian_bench, recreated)
    .venv/bin/python bench/webhooks.py --seconds 20 --connections 16

What it does, on this machine, all on loopback:
1. a fresh PostgreSQL database, migrated, with one WeChat channel (plain mode: its signature
   covers the query string, not the body, so each request can carry a new MsgId and is a
   genuinely new event — the insert path, not the duplicate path);
2. gunicorn serving Tingjian (production settings, DEBUG off), 2 × cores + 1 sync workers;
3. wrk from a second process: first GET /healthz (a trivial Django view: the ceiling), then
   POST /hooks/wechat/bench/ with a unique message per request; requests/s and latency;
4. the task worker (`tingjian worker --batch`) files what the load stored: events per second.
Needs Debian's `wrk` (apt-get install wrk) and PostgreSQL.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
TOKEN = "benchtoken"
LUA = r"""
counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/xml"
request = function()
  counter = counter + 1
  local id = string.format("%d%09d", math.random(1, 2000000000), counter)
  local body = "<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[oBench" .. (counter % 500) ..
    "]]></FromUserName><CreateTime>1767225600</CreateTime><MsgType><![CDATA[text]]></MsgType>" ..
    "<Content><![CDATA[便當裡有頭髮，請處理 " .. id .. "]]></Content><MsgId>" .. id .. "</MsgId></xml>"
  return wrk.format(nil, "__PATH__", nil, body)
end
"""


def sh(*args: str, env: dict[str, str] | None = None, check: bool = True) -> str:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return result.stdout


def wrk(url: str, seconds: int, connections: int, script: str | None = None) -> dict[str, float]:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        args += ["-s", script]
    out = sh(*args, url)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def pct(p: str) -> float:
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rate": rate, "p50": pct("50"), "p99": pct("99"), "errors": float(non2xx.group(1)) if non2xx else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: 2 × cores + 1, gunicorn's advice)")
    options = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    var = Path(tempfile.mkdtemp(prefix="tj-bench-"))
    env = {**os.environ, "DATABASE_URL": f"{options.pg}/tingjian_bench", "TINGJIAN_DEBUG": "0",
           "TINGJIAN_SECRET_KEY": "bench-" + "x" * 50, "TINGJIAN_ALLOWED_HOSTS": "127.0.0.1",
           "TINGJIAN_ENCRYPTION_KEYS": "Tn9zHk1J3bq3dLqv2r8sVY4cG5m0x1u7QeWfA9pZlKc=", "TINGJIAN_VAR_DIR": str(var),
           "TINGJIAN_LOG_LEVEL": "WARNING", "TINGJIAN_DB_CONN_MAX_AGE": "600"}
    sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "tingjian_bench")
    sh("createdb", "-h", "127.0.0.1", "-U", "postgres", "tingjian_bench")
    sh(PY, "-m", "tingjian", "migrate", "-v0", env=env)
    # A sandbox: the worker files without asking WeChat for each new contact's profile (a
    # network call this machine cannot make), so the figure is Tingjian's own filing cost.
    sh(PY, "-m", "tingjian", "channels", "add", "wechat", "bench", "--sandbox", "on", "--set", "app_id=wxbench",
       "--set", "encoding_mode=plain", "--set", "app_secret=s", "--set", f"token={TOKEN}", env=env)
    timestamp, nonce = "1767225600", "12345"
    signature = hashlib.sha1("".join(sorted([TOKEN, timestamp, nonce])).encode()).hexdigest()
    path = f"/hooks/wechat/bench/?signature={signature}&timestamp={timestamp}&nonce={nonce}"
    script = var / "wechat.lua"
    script.write_text(LUA.replace("__PATH__", path))
    cores = os.cpu_count() or 2
    workers = options.workers or 2 * cores + 1
    server = subprocess.Popen([PY, "-m", "gunicorn", "tingjian.wsgi", "-w", str(workers), "-b", "127.0.0.1:8765",
                               "--log-level", "warning"], env=env, cwd=ROOT)
    try:
        time.sleep(3)
        wrk("http://127.0.0.1:8765/healthz", 3, options.connections)  # warm up
        trivial = wrk("http://127.0.0.1:8765/healthz", options.seconds, options.connections)
        hook = wrk("http://127.0.0.1:8765" + path, options.seconds, options.connections, str(script))
    finally:
        server.terminate()
        server.wait()
    stored = int(sh("psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "tingjian_bench", "-tAc",
                    "select count(*) from channels_inboundevent"))
    started = time.monotonic()
    sh(PY, "-m", "tingjian", "worker", "--batch", "--interval", "0.01", "-v0", env=env)
    elapsed = time.monotonic() - started
    filed = int(sh("psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "tingjian_bench", "-tAc",
                   "select count(*) from channels_inboundevent where status='filed'"))
    print(f"\ncores: {cores}, gunicorn sync workers: {workers}, wrk connections: {options.connections}, {options.seconds} s per run\n")
    print("| endpoint | requests/s | p50 ms | p99 ms | non-2xx |")
    print("|---|---:|---:|---:|---:|")
    print(f"| GET /healthz (trivial view, ceiling) | {trivial['rate']:.0f} | {trivial['p50']:.1f} | {trivial['p99']:.1f} | {trivial['errors']:.0f} |")
    print(f"| POST WeChat webhook (verify, parse, store, enqueue) | {hook['rate']:.0f} | {hook['p50']:.1f} | {hook['p99']:.1f} | {hook['errors']:.0f} |")
    print(f"\nwebhook / trivial: {100 * hook['rate'] / trivial['rate']:.0f} %; events stored: {stored}")
    print(f"ingest, one worker: {filed} events filed into cases in {elapsed:.1f} s = {filed / elapsed:.0f} events/s")


if __name__ == "__main__":
    main()
