/**
 * Ladder → inline SVG for the HTML report: a vertical lane per endpoint / hop, the interface of
 * each leg written above the space between its two lanes, an arrow per packet or burst, and a
 * highlighted box on the hop's lane where the conversation crosses legs (NAT rewrite or proxy
 * hand-off), listing the changed fields. Styling lives in the page's CSS (classes below), so the
 * SVG carries no script and no external reference.
 */
import type { Ladder, LadderCrossing, LadderPacketEvent } from '../ladder/ladder-model.js';
import { formatDuration, formatRelative } from '../ladder/time-scale.js';
import { escapeCut, escapeHtml } from './html-escape.js';

const LANE_GAP = 320;
const TIME_W = 92;
const FIRST_LANE_X = TIME_W + 150;
const CHAR_W = 6.7;
const ROW = 30;
const APP_ROW = 14;
const GAP_UNIT = 16;
const LINE = 15;
const BOX_W = 304;
/** Characters of a label that fit between two lanes. */
const LABEL_CHARS = Math.floor((LANE_GAP - 24) / CHAR_W);
const BOX_CHARS = Math.floor((BOX_W - 16) / CHAR_W);

function laneX(i: number): number {
  return FIRST_LANE_X + i * LANE_GAP;
}

function attr(s: string): string {
  return escapeHtml(s);
}

/** The SVG element (no XML prolog) for one ladder. */
export function renderLadderSvg(l: Ladder): string {
  const maxAddr = Math.max(0, ...l.lanes.map((x) => Math.min(x.addresses.length, 3)));
  const headerH = 30 + maxAddr * LINE;
  const legRowY = headerH + 16;
  let y = legRowY + 30;
  const body: string[] = [];
  const marker = `url(#ah-${attr(l.correlationId)})`;

  for (const ev of l.events) {
    y += ev.gapBefore * GAP_UNIT;
    if (ev.timeBreak) {
      y += 6;
      const x2 = laneX(l.lanes.length - 1) + 40;
      body.push(`<g class="time-break"><line x1="${TIME_W - 6}" y1="${y}" x2="${x2}" y2="${y}"/><text x="${FIRST_LANE_X - 60}" y="${y - 4}">${escapeHtml(`… ${formatDuration(ev.dtUs)} later`)}</text></g>`);
      y += 18;
    }
    if (ev.kind === 'crossing') {
      const h = crossingHeight(ev);
      body.push(renderCrossing(ev, y));
      body.push(`<text class="time" x="8" y="${y + 14}">${escapeHtml(formatRelative(ev.relUs))}</text>`);
      y += h + 12;
      continue;
    }
    y += 14;
    body.push(renderPacket(ev, y, marker));
    y += ev.app ? ROW - 14 + APP_ROW : ROW - 14;
  }
  const height = y + 24;
  const width = laneX(l.lanes.length - 1) + 170;

  const lanes: string[] = [];
  for (const lane of l.lanes) {
    const x = laneX(lane.index);
    const addrs = lane.addresses.slice(0, 3).map((a, i) => `<text class="lane-addr" x="${x}" y="${36 + i * LINE}">${escapeCut(a, 40)}</text>`);
    if (lane.addresses.length > 3) addrs.push(`<text class="lane-addr" x="${x}" y="${36 + 3 * LINE}">+${lane.addresses.length - 3} more</text>`);
    lanes.push(
      `<g class="lane" data-role="${attr(lane.role)}" data-lane="${lane.index}"><title>${escapeHtml(`${lane.title}\n${lane.addresses.join('\n')}`)}</title>` +
        `<line class="lane-line" x1="${x}" y1="${headerH}" x2="${x}" y2="${height - 8}"/>` +
        `<text class="lane-title" x="${x}" y="18">${escapeCut(lane.title, 40)}</text>${addrs.join('')}</g>`,
    );
  }
  const legLabels = l.legs.map((leg) => {
    const x = (laneX(leg.fromLane) + laneX(leg.toLane)) / 2;
    return (
      `<g class="leg" data-iface="${attr(leg.iface)}" data-flow="${attr(leg.flowId)}"><title>${escapeHtml(`${leg.iface} (${leg.file}): ${leg.src} → ${leg.dst}, ${leg.packets} packets`)}</title>` +
      `<rect class="leg-pill" x="${x - 60}" y="${legRowY - 13}" width="120" height="19" rx="9"/>` +
      `<text class="leg-iface" x="${x}" y="${legRowY + 1}">${escapeCut(leg.iface, 16)}</text></g>`
    );
  });
  const label = `${l.correlationId}: ${l.mechanism} ladder, ${l.lanes.map((x) => x.title).join(' / ')}`;
  return (
    `<svg class="ladder" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${attr(label)}" data-correlation="${attr(l.correlationId)}" width="${width}" height="${Math.round(height)}" viewBox="0 0 ${width} ${Math.round(height)}">` +
    `<defs><marker id="ah-${attr(l.correlationId)}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>` +
    lanes.join('') +
    legLabels.join('') +
    body.join('') +
    `</svg>`
  );
}

function packetClass(ev: LadderPacketEvent): string {
  const c = ['pkt', ev.dir];
  if (ev.flags.includes('SYN')) c.push('syn');
  if (ev.flags.includes('FIN')) c.push('fin');
  if (ev.flags.includes('RST')) c.push('rst');
  if (ev.len > 0) c.push('data');
  if (ev.count > 1) c.push('burst');
  return c.join(' ');
}

function renderPacket(ev: LadderPacketEvent, y: number, marker: string): string {
  const x1 = laneX(ev.fromLane);
  const x2 = laneX(ev.toLane);
  const dx = x2 > x1 ? -3 : 3;
  const mid = (x1 + x2) / 2;
  const full = ev.app ? `${ev.label}\n${ev.app}` : ev.label;
  const parts = [
    `<g class="${packetClass(ev)}" data-leg="${ev.leg}"><title>${escapeHtml(`${formatRelative(ev.relUs)}  ${full}`)}</title>`,
    `<text class="time" x="8" y="${y + 4}">${escapeHtml(formatRelative(ev.relUs))}</text>`,
    `<line class="arrow" x1="${x1}" y1="${y}" x2="${x2 + dx}" y2="${y}" marker-end="${marker}"${ev.count > 1 ? ' stroke-width="3"' : ''}/>`,
    `<text class="pkt-label" x="${mid}" y="${y - 5}">${escapeCut(ev.label, LABEL_CHARS)}</text>`,
  ];
  if (ev.app) parts.push(`<text class="app-line" x="${mid}" y="${y + 13}">${escapeCut(ev.app, LABEL_CHARS)}</text>`);
  parts.push('</g>');
  return parts.join('');
}

function crossingLines(ev: LadderCrossing): Array<{ cls: string; text: string }> {
  const lines = [{ cls: 'crossing-title', text: ev.title }];
  for (const d of ev.changed) lines.push({ cls: `field changed ${d.verdict}`, text: `${d.field} ${d.from} → ${d.to}` });
  if (ev.preserved.length > 0) lines.push({ cls: 'field preserved', text: `kept: ${ev.preserved.map((d) => d.field).join(', ')}` });
  return lines;
}

function crossingHeight(ev: LadderCrossing): number {
  return 10 + crossingLines(ev).length * LINE;
}

function renderCrossing(ev: LadderCrossing, y: number): string {
  const x = laneX(ev.lane);
  const h = crossingHeight(ev);
  const lines = crossingLines(ev).map(
    (ln, i) => `<text class="${ln.cls}" x="${x - BOX_W / 2 + 8}" y="${y + 16 + i * LINE}">${escapeCut(ln.text, BOX_CHARS)}</text>`,
  );
  return (
    `<g class="crossing" data-mechanism="${attr(ev.mechanism)}" data-hop="${ev.hop}"><title>${escapeHtml(`${ev.title}\n${ev.rewrite}`)}</title>` +
    `<rect class="crossing-box" x="${x - BOX_W / 2}" y="${y}" width="${BOX_W}" height="${h}" rx="6"/>${lines.join('')}</g>`
  );
}
