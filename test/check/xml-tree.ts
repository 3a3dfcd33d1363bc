/**
 * A strict little XML 1.0 reader for the JUnit tests: throws on anything not well-formed (unbalanced
 * tags, unquoted or duplicate attributes, bare `<` or `&`, unknown entities, characters XML 1.0
 * forbids), and returns the element tree with decoded attributes and text.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;
// Characters XML 1.0 allows (tab, LF, CR, and from space up, minus surrogates and FFFE/FFFF).
const BAD_CHAR = /[^\t\n\r\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

function decode(s: string, where: string): string {
  if (s.includes('<')) throw new Error(`bare "<" in ${where}`);
  return s.replace(/&([^;]*);?/g, (m, ent: string) => {
    if (!m.endsWith(';')) throw new Error(`unterminated entity in ${where}`);
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (ent in named) return named[ent];
    const num = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(ent);
    if (!num) throw new Error(`unknown entity &${ent}; in ${where}`);
    const cp = num[1] !== undefined ? parseInt(num[1], 16) : Number(num[2]);
    const ch = String.fromCodePoint(cp);
    if (BAD_CHAR.test(ch)) throw new Error(`character reference to a forbidden character in ${where}`);
    return ch;
  });
}

export function parseXml(xml: string): XmlElement {
  if (BAD_CHAR.test(xml)) throw new Error('forbidden character in document');
  let i = 0;
  const rest = (): string => xml.slice(i);
  const skipWs = (): void => {
    while (i < xml.length && /\s/.test(xml[i])) i++;
  };
  if (rest().startsWith('<?xml')) {
    const end = xml.indexOf('?>', i);
    if (end < 0) throw new Error('unterminated XML declaration');
    i = end + 2;
  }
  skipWs();
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  while (i < xml.length) {
    if (xml[i] === '<') {
      if (rest().startsWith('</')) {
        const m = NAME.exec(xml.slice(i + 2));
        if (!m) throw new Error(`bad closing tag at ${i}`);
        const top = stack.pop();
        if (!top || top.name !== m[0]) throw new Error(`mismatched </${m[0]}> at ${i}`);
        i += 2 + m[0].length;
        skipWs();
        if (xml[i] !== '>') throw new Error(`expected ">" at ${i}`);
        i++;
        if (stack.length === 0) {
          skipWs();
          if (i < xml.length) throw new Error('content after the root element');
        }
        continue;
      }
      const m = NAME.exec(xml.slice(i + 1));
      if (!m) throw new Error(`bad tag at ${i}`);
      const el: XmlElement = { name: m[0], attrs: {}, children: [], text: '' };
      i += 1 + m[0].length;
      for (;;) {
        const before = i;
        skipWs();
        if (xml[i] === '>' || rest().startsWith('/>')) break;
        if (i === before) throw new Error(`expected whitespace before attribute at ${i}`);
        const a = NAME.exec(xml.slice(i));
        if (!a) throw new Error(`bad attribute at ${i}`);
        i += a[0].length;
        if (xml[i] !== '=') throw new Error(`expected "=" at ${i}`);
        const q = xml[i + 1];
        if (q !== '"' && q !== "'") throw new Error(`unquoted attribute at ${i}`);
        const end = xml.indexOf(q, i + 2);
        if (end < 0) throw new Error('unterminated attribute');
        if (a[0] in el.attrs) throw new Error(`duplicate attribute ${a[0]}`);
        el.attrs[a[0]] = decode(xml.slice(i + 2, end), `attribute ${a[0]}`);
        i = end + 1;
      }
      if (stack.length > 0) stack[stack.length - 1].children.push(el);
      else if (root) throw new Error('two root elements');
      else root = el;
      if (rest().startsWith('/>')) {
        i += 2;
      } else {
        i++;
        stack.push(el);
      }
    } else {
      const next = xml.indexOf('<', i);
      const end = next < 0 ? xml.length : next;
      const raw = xml.slice(i, end);
      if (stack.length === 0) throw new Error('text outside the root element');
      if (raw.includes(']]>')) throw new Error('"]]>" in text');
      stack[stack.length - 1].text += decode(raw, `<${stack[stack.length - 1].name}> text`);
      i = end;
    }
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1].name}>`);
  if (!root) throw new Error('no root element');
  return root;
}

export function findAll(el: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement): void => {
    if (e.name === name) out.push(e);
    e.children.forEach(walk);
  };
  walk(el);
  return out;
}
