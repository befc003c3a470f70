"""The join address as a QR code, drawn on this machine (``segno``, no network).

>>> svg = join_qr_svg("http://192.168.1.20:8766/join?code=ABCDE")
>>> svg.startswith("<svg") and "<path" in svg
True
>>> text = join_qr_text("http://x/join")  # a full QR code (phones do not read Micro QR)
>>> len(text.splitlines()) >= (21 + 4) // 2
True
"""

from __future__ import annotations

import io

import segno

__all__ = ["join_qr_svg", "join_qr_text"]


def join_qr_svg(url: str) -> str:
    """An SVG QR code of ``url`` that scales to its box (no XML declaration)."""
    out = io.BytesIO()
    segno.make_qr(url, error="m").save(
        out, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, svgclass="gc-qr-code", omitsize=True
    )
    return out.getvalue().decode()


def join_qr_text(url: str) -> str:
    """The QR code of ``url`` in block characters, for the terminal."""
    out = io.StringIO()
    segno.make_qr(url, error="m").terminal(out=out, compact=True, border=2)
    return out.getvalue()
