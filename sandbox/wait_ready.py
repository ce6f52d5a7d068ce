#!/usr/bin/env python3
"""wait_ready.py URL TIMEOUT_SECONDS: exit 0 once GET URL/_sandbox/health answers 200, else 1.

Only loopback URLs are accepted: the sandbox never listens elsewhere."""

import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: wait_ready.py URL TIMEOUT_SECONDS", file=sys.stderr)
        return 2
    url, timeout = argv[1].rstrip("/"), float(argv[2])
    if urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        print(f"wait_ready.py: refusing non-loopback URL {url}", file=sys.stderr)
        return 2
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while True:
        try:
            with urllib.request.urlopen(url + "/_sandbox/health", timeout=2) as resp:
                if resp.status == 200:
                    return 0
                last = f"HTTP {resp.status}"
        except urllib.error.HTTPError as e:
            last = f"HTTP {e.code}"
        except (urllib.error.URLError, OSError) as e:
            last = str(getattr(e, "reason", e))
        if time.monotonic() >= deadline:
            print(f"wait_ready.py: {url} not ready after {timeout:g} s ({last})", file=sys.stderr)
            return 1
        time.sleep(0.1)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
