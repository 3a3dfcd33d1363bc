/**
 * The report page's inline CSS and script. The script is the only one on the page: the page's
 * Content-Security-Policy allows exactly its hash, so even markup that slipped past escaping
 * could not run code. It only filters and expands sections; the report reads fine without it.
 */

export const REPORT_CSS = `
:root { --fg:#1d2330; --muted:#5d6678; --line:#d5dae3; --bg:#fff; --panel:#f6f8fb; --fwd:#2458c6; --rev:#1d8a55; --hl:#fff1c2; --hl-edge:#d49a00; --bad:#c0392b; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header, main, #summary, #unpaired, footer, .toolbar { max-width: 1280px; margin: 0 auto; padding: 0 20px; }
h1 { font-size: 22px; margin: 18px 0 4px; }
h2 { font-size: 17px; margin: 22px 0 8px; }
h3 { font-size: 14px; margin: 14px 0 6px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
code, .mono, td.mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: 12.5px; }
table { border-collapse: collapse; margin: 4px 0 10px; }
th, td { text-align: left; padding: 3px 10px 3px 0; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
.summary-text { color: var(--muted); max-width: 70em; }
.counts span { display: inline-block; margin: 0 8px 6px 0; padding: 2px 10px; border-radius: 12px; background: var(--panel); border: 1px solid var(--line); }
.toolbar { position: sticky; top: 0; z-index: 2; background: rgba(255,255,255,.95); padding-top: 10px; padding-bottom: 10px; border-bottom: 1px solid var(--line); display: flex; gap: 10px; align-items: center; }
.toolbar input { flex: 1; max-width: 520px; padding: 6px 10px; font-size: 14px; border: 1px solid #aab3c2; border-radius: 6px; }
.toolbar button { padding: 5px 10px; border: 1px solid #aab3c2; background: var(--panel); border-radius: 6px; cursor: pointer; }
#filter-count { color: var(--muted); }
section.correlation { margin: 14px 0; border: 1px solid var(--line); border-radius: 8px; background: var(--bg); }
section.correlation > details > summary { padding: 10px 14px; cursor: pointer; background: var(--panel); border-radius: 8px; font-weight: 600; }
section.correlation .body { padding: 4px 16px 14px; }
.mech { display: inline-block; padding: 0 8px; border-radius: 10px; background: #e4ebfa; color: #1b3d8f; font-weight: 600; margin-right: 6px; }
.conf { color: var(--muted); font-weight: 400; }
[hidden] { display: none !important; }
.changed, td.rewritten, td.unrelated, td.shifted { background: var(--hl); }
.figure { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; padding: 6px; background: #fff; }
.diagram-note { color: var(--muted); font-size: 12.5px; }
svg.ladder { display: block; font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: 11px; }
svg.ladder .lane-line { stroke: #9aa3b5; stroke-width: 1.5; stroke-dasharray: 4 3; }
svg.ladder .lane-title { font: 600 13px system-ui, sans-serif; text-anchor: middle; fill: var(--fg); }
svg.ladder .lane-addr { text-anchor: middle; fill: var(--muted); }
svg.ladder .leg-pill { fill: #eef2f8; stroke: #9aa3b5; }
svg.ladder .leg-iface { text-anchor: middle; font-weight: 700; fill: #3b4558; }
svg.ladder .time { fill: var(--muted); font-size: 10.5px; }
svg.ladder .arrow { stroke-width: 1.6; }
svg.ladder .fwd .arrow { stroke: var(--fwd); }
svg.ladder .rev .arrow { stroke: var(--rev); }
svg.ladder .rst .arrow { stroke: var(--bad); }
svg.ladder .arrowhead { fill: #3b4558; }
svg.ladder .pkt-label { text-anchor: middle; fill: var(--fg); }
svg.ladder .syn .pkt-label, svg.ladder .fin .pkt-label { font-weight: 700; }
svg.ladder .app-line { text-anchor: middle; fill: #7a3e00; font-style: italic; }
svg.ladder .crossing-box { fill: var(--hl); stroke: var(--hl-edge); stroke-width: 1.5; }
svg.ladder .crossing-title { font-weight: 700; fill: #6b4a00; }
svg.ladder .field.changed { fill: #8a2a00; }
svg.ladder .field.preserved { fill: var(--muted); }
svg.ladder .time-break line { stroke: #9aa3b5; stroke-dasharray: 2 4; }
svg.ladder .time-break text { fill: var(--muted); font-style: italic; }
footer { color: var(--muted); margin-top: 30px; padding-bottom: 30px; font-size: 12px; }
`;

export const REPORT_SCRIPT = `(function () {
  var input = document.getElementById('filter');
  var count = document.getElementById('filter-count');
  var items = Array.prototype.slice.call(document.querySelectorAll('[data-search]'));
  function apply() {
    var terms = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var shown = 0, total = 0;
    items.forEach(function (el) {
      var hay = el.getAttribute('data-search') || '';
      var ok = terms.every(function (t) { return hay.indexOf(t) >= 0; });
      el.hidden = !ok;
      if (el.classList.contains('correlation')) { total++; if (ok) shown++; }
    });
    count.textContent = terms.length ? shown + ' of ' + total + ' conversations match' : '';
  }
  input.addEventListener('input', apply);
  function setAll(open) {
    document.querySelectorAll('details').forEach(function (d) { d.open = open; });
  }
  document.getElementById('expand-all').addEventListener('click', function () { setAll(true); });
  document.getElementById('collapse-all').addEventListener('click', function () { setAll(false); });
  if (input.value) apply();
})();`;
