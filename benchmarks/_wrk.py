"""wrk, a C load client, driven from the benchmarks: the latency at one connection and the
requests a second at many (an httpx client on the same two cores takes as much CPU as the
service it loads, and its own work, about 0.6 ms a request, is in its figures).
`benchmarks/run` installs wrk for the benchmarks that use it."""

import json
import re
import subprocess
import tempfile

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
_LATENCY_LINE = re.compile(r"^\s+(50|99)%\s+([0-9.]+)(us|ms|s)$", re.MULTILINE)  # wrk --latency


def wrk_latency(
    base: str, headers: dict[str, str], paths: list[str], seconds: float
) -> dict[str, float]:
    """p50 and p99 of `seconds` of requests at one connection, measured by wrk (a C client:
    httpx's own work, about 0.6 ms a request here, is in the interleaved figures)."""
    output = _run_wrk(base, headers, paths, 1, seconds, ["--latency"])
    found = {
        pct: float(value) * _UNITS_MS[unit] for pct, value, unit in _LATENCY_LINE.findall(output)
    }
    if set(found) != {"50", "99"}:
        raise RuntimeError(f"no latency in wrk's output:\n{output}")
    return {"p50_ms": round(found["50"], 2), "p99_ms": round(found["99"], 2)}


def wrk(
    base: str, headers: dict[str, str], paths: list[str], connections: int, seconds: float
) -> float:
    """Requests a second wrk gets at `connections` connections in `seconds`, each connection
    going through `paths` in turn (a C client: an httpx one on the same two cores took as much
    CPU as the service it loaded). Any answer but 2xx fails the round."""
    output = _run_wrk(base, headers, paths, connections, seconds, [])
    found = re.search(r"Requests/sec:\s+([0-9.]+)", output)
    if found is None:
        raise RuntimeError(f"no rate in wrk's output:\n{output}")
    return round(float(found.group(1)), 1)


def _run_wrk(
    base: str,
    headers: dict[str, str],
    paths: list[str],
    connections: int,
    seconds: float,
    extra: list[str],
) -> str:
    """wrk's output for `seconds` at `connections`, each going through `paths` in turn."""
    lua = (
        "local paths = {"
        + ", ".join(json.dumps(p) for p in paths)
        + "}\n"
        + (
            "local i = 0\n"
            "request = function()\n"
            "  i = i + 1\n"
            "  return wrk.format('GET', paths[(i % #paths) + 1])\n"
            "end\n"
        )
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(lua)
        script.flush()
        threads = min(2, connections)
        command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s",
                   "-s", script.name, *(f for k, v in headers.items() for f in ("-H", f"{k}: {v}")),
                   *extra, base]  # fmt: skip
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    if "Non-2xx" in output or "Socket errors" in output:
        raise RuntimeError(f"wrk saw failures:\n{output}")
    return output
