"""Small HTML pieces shared by notebooks, apps and reports. Every value is escaped."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

STYLE = """
<style>
.crm-cards{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0 16px}
.crm-card{border:1px solid #dde3ea;border-radius:8px;padding:10px 14px;min-width:120px}
.crm-card .v{font-size:22px;font-weight:600;color:#1f5f8b}
.crm-card .l{font-size:12px;color:#555}
.crm-note{color:#555;font-size:13px;margin:4px 0}
.crm-empty{border:1px dashed #b8483f;border-radius:8px;padding:14px;color:#7a2e28;
  background:#fdf3f2;margin:8px 0}
.crm-error{border:1px solid #b8483f;border-radius:8px;padding:14px;color:#7a2e28;
  background:#fdf3f2;margin:8px 0}
</style>
"""


def cards(values: Mapping[str, str]) -> str:
    """A row of headline cards, ``{label: formatted value}``."""
    body = "".join(
        f"<div class='crm-card'><div class='v'>{html.escape(str(v))}</div>"
        f"<div class='l'>{html.escape(str(k))}</div></div>"
        for k, v in values.items()
    )
    return f"{STYLE}<div class='crm-cards'>{body}</div>"


def notes(lines: Sequence[str]) -> str:
    """Paragraphs of small print (suppression, privacy, which rows were used)."""
    return "".join(f"<p class='crm-note'>{html.escape(line)}</p>" for line in lines if line)


def empty_state(message: str) -> str:
    """A visible box saying that there is nothing to show, and why."""
    return f"{STYLE}<div class='crm-empty'><b>Nothing to show.</b> {html.escape(message)}</div>"


def error_box(message: str) -> str:
    """A visible box with a user-facing error message (no traceback)."""
    return f"{STYLE}<div class='crm-error'><b>Cannot run:</b> {html.escape(message)}</div>"


def download_link(text: str, filename: str, label: str, element_id: str) -> str:
    """A link that saves ``text`` (CSV) as ``filename`` from the page itself, no server needed."""
    import base64

    href = "data:text/csv;base64," + base64.b64encode(text.encode("utf-8")).decode("ascii")
    return (
        f"<a download='{html.escape(filename, quote=True)}' href='{href}' "
        f"id='{html.escape(element_id, quote=True)}'>{html.escape(label)}</a>"
    )
