"""How long a roster .xlsx bomb costs before it is refused (issue: "Hardening", item 3).

Builds the roster template, then three bombs from it — a sheet declaring A1:XFD20000, one
declaring A1:XFD1048576, and 6 MB of blank rows in an 18 KB file — and times reading each with
the service's roster reader (median of five). Prints one JSON line.

Usage: PYTHONPATH=benchmarks .venv/bin/python benchmarks/upload_bombs.py
"""

import io
import json
import re
import statistics
import time
import zipfile
from collections.abc import Callable

from matching.labourers import roster_format


def _with_sheet(content: bytes, rewrite: Callable[[bytes], bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(out, "w") as dst:
        for entry in src.infolist():
            data = src.read(entry)
            if entry.filename == "xl/worksheets/sheet1.xml":
                data = rewrite(data)
            dst.writestr(entry, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _declare(ref: bytes) -> Callable[[bytes], bytes]:
    def rewrite(xml: bytes) -> bytes:
        xml = re.sub(rb"<dimension [^>]*/>", b"", xml)
        return xml.replace(b"<sheetViews>", b'<dimension ref="' + ref + b'"/><sheetViews>', 1)

    return rewrite


def _blank_rows(xml: bytes) -> bytes:
    xml = _declare(b"A1:S90000")(xml)
    return xml.replace(b"</sheetData>", b'<row r="3"/>' * 500_000 + b"</sheetData>", 1)


def _read(content: bytes) -> str:
    try:
        _, rows = roster_format.read_rows(content, "roster.xlsx")
        return f"read {sum(1 for _ in rows)} rows"
    except roster_format.RosterFormatError as exc:
        return f"refused: {str(exc)[:70]}"


def main() -> None:
    template, _ = roster_format.template("xlsx")
    bombs = {
        "declares A1:XFD20000": _with_sheet(template, _declare(b"A1:XFD20000")),
        "declares A1:XFD1048576": _with_sheet(template, _declare(b"A1:XFD1048576")),
        "6 MB of blank rows": _with_sheet(template, _blank_rows),
    }
    out = {}
    for name, content in bombs.items():
        times, outcome = [], ""
        for _ in range(5):
            started = time.perf_counter()
            outcome = _read(content)
            times.append(time.perf_counter() - started)
        out[name] = {"bytes": len(content), "median_s": round(statistics.median(times), 4),
                     "outcome": outcome}  # fmt: skip
    print(json.dumps({"benchmark": "upload_bombs", "files": out}, ensure_ascii=False))


if __name__ == "__main__":
    main()
