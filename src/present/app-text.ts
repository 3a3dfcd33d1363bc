import type { FlowBrief } from '../correlate/flow-summary.js';

/** ` [HTTP GET /path 200]`, ` [DNS name]`, ` [TLS sni]`: what a flow carried, as the text outputs append it (not sanitized). */
export function appText(f: FlowBrief): string {
  const h = f.app?.http;
  if (h) return ` [HTTP ${[h.method, h.path, h.status].filter((x) => x != null).join(' ')}]`;
  if (f.app?.dns?.qname) return ` [DNS ${f.app.dns.qname}]`;
  if (f.app?.tls?.sni) return ` [TLS ${f.app.tls.sni}]`;
  return '';
}
