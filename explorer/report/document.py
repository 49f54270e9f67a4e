"""The shell of a self-contained HTML report: one document, plotly.js inside it once, no other host.

plotly.js (about 4.8 MB) is stored gzip-compressed and base64-encoded (about 1.9 MB) and unpacked
by the browser's own ``DecompressionStream`` (Chrome/Edge 80+, Firefox 113+, Safari 16.4+), so a
report with replays stays well under 5 MB. Figures are JSON in ``<script type="application/json">``
elements, drawn by one loader script once plotly.js is running. Nothing is fetched: no CDN, no
MathJax, no web fonts.
"""
from __future__ import annotations

import base64
import functools
import gzip
import html
import json

import plotly.io as pio
from plotly.offline import get_plotlyjs

from ..app.i18n import text

CONFIG = {"displaylogo": False, "responsive": True, "showTips": False}  # plotly config of every chart

CSS = """
:root { color-scheme: light; }
body { font-family: "Source Sans Pro", "Noto Sans KR", "Noto Sans CJK KR", "Apple SD Gothic Neo", "Malgun Gothic",
  "NanumGothic", system-ui, sans-serif; color: #111; background: #fff; margin: 0; line-height: 1.5; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 1.9rem; margin: 0 0 4px; } h2 { font-size: 1.35rem; margin: 36px 0 10px; border-bottom: 1px solid #ddd;
  padding-bottom: 4px; } h3 { font-size: 1.1rem; margin: 22px 0 6px; }
.sub { color: #555; margin: 0 0 18px; }
.note { background: #f3f6fb; border-left: 4px solid #0072B2; padding: 8px 12px; margin: 12px 0; }
.warn { background: #fdf0e6; border-left: 4px solid #D55E00; padding: 8px 12px; margin: 12px 0; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 0.95rem; }
th, td { border: 1px solid #ddd; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f6f6f6; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.pass { color: #006d4f; font-weight: 600; } .fail { color: #b23c00; font-weight: 600; } .pending { color: #666; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 8px 18px; }
.chart { min-height: 420px; width: 100%; } .chart.wide { grid-column: 1 / -1; }
.chart-error { color: #b23c00; border: 1px solid #D55E00; padding: 8px; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.9rem; }
pre { background: #f6f6f6; padding: 10px 12px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
a { color: #0063a0; }
@media print { .chart { break-inside: avoid; } }
"""

# Unpacks plotly.js, then draws every chart (and adds its frames). Each chart that fails says why
# in its own box; <body data-charts> counts the charts drawn, <body data-ready> says it is done.
LOADER = """
(async function () {
  const body = document.body;
  const fail = (el, msg) => { el.classList.add('chart-error'); el.textContent = msg; };
  try {
    if (!window.Plotly) {
      if (typeof DecompressionStream === 'undefined') throw new Error('DecompressionStream');
      const b64 = document.getElementById('plotly-js').textContent.trim();
      const bin = atob(b64); const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
      const code = await new Response(stream).text();
      const s = document.createElement('script'); s.textContent = code; document.head.appendChild(s);
    }
  } catch (e) {
    document.getElementById('no-plotly').hidden = false; body.dataset.ready = 'error'; return;
  }
  const config = JSON.parse(document.getElementById('plotly-config').textContent);
  let drawn = 0;
  for (const el of document.querySelectorAll('div.chart[data-spec]')) {
    try {
      const spec = JSON.parse(document.getElementById(el.dataset.spec).textContent);
      await Plotly.newPlot(el, spec.data, spec.layout, config);
      if (spec.frames && spec.frames.length) await Plotly.addFrames(el, spec.frames);
      drawn += 1;
    } catch (e) { console.error('chart', el.id, e); fail(el, String(e)); }
  }
  body.dataset.charts = String(drawn); body.dataset.ready = '1';
})();
"""


@functools.lru_cache(maxsize=1)  # a constant of the installed plotly: compressed once per process
def plotly_js_payload() -> str:
    """plotly.js of the installed plotly package, gzip-compressed (mtime 0: reproducible), base64."""
    raw = get_plotlyjs().encode("utf-8")
    return base64.b64encode(gzip.compress(raw, compresslevel=9, mtime=0)).decode("ascii")


def script_json(obj) -> str:
    """JSON safe inside a <script> element ("<" escaped, so no "</script>" can end it early)."""
    s = obj if isinstance(obj, str) else json.dumps(obj, separators=(",", ":"))
    return s.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def chart(fig, chart_id: str, *, wide: bool = False) -> str:
    """A chart's div and its JSON spec (data, layout, frames)."""
    spec = pio.to_json(fig, validate=False, remove_uids=True)
    cls = "chart wide" if wide else "chart"
    return (f'<div class="{cls}" id="{chart_id}" data-spec="{chart_id}-spec"></div>'
            f'<script type="application/json" id="{chart_id}-spec">{script_json(spec)}</script>')


def document(title: str, body_html: str, lang: str) -> str:
    """The whole HTML file: head with styles, ``body_html``, plotly.js once, the loader."""
    return "\n".join([
        "<!DOCTYPE html>", f'<html lang="{html.escape(lang)}">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>", "<main>",
        f'<div class="warn" id="no-plotly" hidden>{html.escape(text("report.no_plotly", lang))}</div>',
        body_html, "</main>",
        f'<script type="application/json" id="plotly-config">{script_json(CONFIG)}</script>',
        f'<script type="application/octet-stream" id="plotly-js">{plotly_js_payload()}</script>',
        f"<script>{LOADER}</script>", "</body>", "</html>", ""])
