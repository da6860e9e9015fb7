"""The html report in a real browser: headless Chromium draws the graph and the findings table."""

from __future__ import annotations

import struct
import subprocess
import zlib
from itertools import accumulate
from pathlib import Path

import pytest

from stackwise import check
from stackwise.cli import main
from tests.report.test_html import make_project, parse

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it: "
                              "apt-get install chromium)"),
]


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=180, check=False,
    )


def png_pixels(data: bytes) -> tuple[int, int, int, bytes]:
    """(width, height, bytes per pixel, filtered scanlines) of a non-interlaced 8-bit PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6), "expected 8-bit RGB or RGBA"
    return width, height, 3 if colour == 2 else 4, zlib.decompress(idat)


def unfilter(width: int, height: int, bpp: int, raw: bytes) -> list[bytes]:
    """The PNG scanlines with their filters undone (RFC 2083, section 6).

    None, Sub and Up are done a row at a time (per channel, and bytewise adds on big integers);
    only Average and Paeth need a loop per byte."""
    stride = width * bpp
    low = int.from_bytes(b"\x7f" * stride, "big")
    high = int.from_bytes(b"\x80" * stride, "big")
    rows: list[bytes] = []
    prev = bytes(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)]
        if kind == 1:
            out = bytearray(stride)
            for c in range(bpp):
                out[c::bpp] = bytes(accumulate(line[c::bpp], lambda a, b: (a + b) & 0xFF))
            line = bytes(out)
        elif kind == 2:
            a, b = int.from_bytes(line, "big"), int.from_bytes(prev, "big")
            line = (((a & low) + (b & low)) ^ ((a ^ b) & high)).to_bytes(stride, "big")
        elif kind in (3, 4):
            buf = bytearray(line)
            for i in range(stride):
                left = buf[i - bpp] if i >= bpp else 0
                up = prev[i]
                if kind == 3:
                    buf[i] = (buf[i] + (left + up) // 2) & 0xFF
                    continue
                corner = prev[i - bpp] if i >= bpp else 0
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                buf[i] = (buf[i] + pred) & 0xFF
            line = bytes(buf)
        rows.append(line)
        prev = line
    return rows


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    base = tmp_path_factory.mktemp("chromium")
    project = make_project(base / "shop")
    out = base / "report.html"
    assert main(["check", "--no-cache", "-q", "--format", "html", "-o", str(out),
                 str(project)]) == 1
    return out, len(check([project], use_cache=False).findings)


def test_the_browser_builds_one_row_per_finding_and_the_graph(
    report: tuple[Path, int], tmp_path: Path
) -> None:
    page, count = report
    done = chromium(tmp_path, "--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    # the inline script ran (the page's policy allows it, and it raised nothing)
    assert f'data-findings="{count}"' in dom
    assert "Uncaught" not in done.stderr and "Content Security Policy" not in done.stderr
    found = parse(dom)
    assert count >= 3 and len(found.rows) == count
    assert found.svgs == 1 and len(found.modules) >= 8
    red = [e for e in found.edges if "violation" in (e.get("class") or "")]
    assert red and all(e.get("stroke") == "#d93025" for e in red)
    assert any("LAY700" in (e.get("data-codes") or "") for e in red)


def test_the_screenshot_is_not_blank(report: tuple[Path, int], tmp_path: Path) -> None:
    page, _ = report
    shot = tmp_path / "report.png"
    done = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri())
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    width, height, bpp, raw = png_pixels(shot.read_bytes())
    assert (width, height) == (1280, 2000)
    rows = unfilter(width, height, bpp, raw)
    colours = {row[i:i + 3] for row in rows[::4] for i in range(0, len(row), bpp * 4)}
    assert len(colours) > 50, "the page rendered (nearly) one colour"
    # the red of violating edges and severity badges made it to the screen
    assert any(r > 190 and g < 90 and b < 90 for r, g, b in colours)

