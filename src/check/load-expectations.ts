/**
 * Reads and validates an expectations file. Every problem is reported as
 * `<file>:<line>:<col>: <message>` (1-based), with a "did you mean" for misspelt keys and values;
 * a file that cannot be read at all as `<file>: <message>`.
 */
import { readTextFile, ReadTextError } from '../read/read-text-file.js';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import { MECHANISMS, type Mechanism } from '../correlate/model.js';
import { type CountSpec, parseCountText } from './count-spec.js';
import { didYouMean } from './did-you-mean.js';
import { parseDuration } from './duration.js';
import { type EndpointPattern, parseEndpointPattern } from './endpoint-pattern.js';
import { globToRegExp } from './glob.js';
import { ipProtoName } from '../flows/ip-proto.js';
import {
  ASSERTION_KEYS,
  type Assertions,
  CONVERSATION_STATES,
  type ConversationState,
  EXPECTATION_KEYS,
  type Expectation,
  type ExpectationSet,
  GLOBAL_KEYS,
  type GlobalAssertion,
  PROTOCOLS,
  SELECTOR_KEYS,
  type Selector,
  type SourcePos,
  TOP_KEYS,
  type TextGlob,
} from './schema.js';

/** Files larger than this are not expectations files; refusing them keeps a typo'd path cheap. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;
/** Enough problems to fix in one go without flooding the terminal. */
const MAX_PROBLEMS = 20;

/** A problem at a place in the file; `line` and `col` are null for the file as a whole (unreadable). */
export interface Problem {
  line: number | null;
  col: number | null;
  message: string;
}

/** The validator's problems, each at a place in the file. */
interface PlacedProblem extends Problem {
  line: number;
  col: number;
}

export class ExpectationsError extends Error {
  readonly file: string;
  readonly problems: Problem[];
  constructor(file: string, problems: Problem[]) {
    super(problems.map((p) => formatProblem(file, p)).join('\n'));
    this.name = 'ExpectationsError';
    this.file = file;
    this.problems = problems;
  }
  /** One line per problem, `<file>:<line>:<col>: <message>` (`<file>: <message>` without a place). */
  lines(): string[] {
    return this.problems.map((p) => formatProblem(this.file, p));
  }
}

function formatProblem(file: string, p: Problem): string {
  return p.line === null ? `${file}: ${p.message}` : `${file}:${p.line}:${p.col ?? 1}: ${p.message}`;
}

export function loadExpectationsFile(file: string): ExpectationSet {
  let text: string;
  try {
    // Bounded: `--expect /dev/zero` (or a capture given by mistake) must not fill the memory.
    text = readTextFile(file, file, MAX_FILE_BYTES);
  } catch (err) {
    // Nothing in such a file is at fault, so no line and column: the documented `<file>: <what>`.
    const reason = err instanceof ReadTextError ? err.reason : String(err);
    throw new ExpectationsError(file, [{ line: null, col: null, message: `cannot read expectations: ${reason}` }]);
  }
  return parseExpectations(text, file);
}

/** Parses expectations from text; `file` is only used in messages. Throws ExpectationsError. */
export function parseExpectations(text: string, file: string): ExpectationSet {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const v = new Validator(lc, text);
  for (const e of doc.errors) {
    const at = lc.linePos(Math.min(e.pos[0], text.length));
    v.problems.push({ line: at.line, col: at.col, message: yamlMessage(e.message, e.code, text, at.line) });
  }
  if (v.problems.length > 0) throw new ExpectationsError(file, v.problems.slice(0, MAX_PROBLEMS));
  const set = v.top(doc.contents as Node | null, file);
  if (v.problems.length > 0) {
    v.problems.sort((a, b) => a.line - b.line || a.col - b.col);
    throw new ExpectationsError(file, v.problems.slice(0, MAX_PROBLEMS));
  }
  return set;
}

function yamlMessage(raw: string, code: string, text: string, line: number): string {
  // The yaml package appends " at line L, column C:" and a source excerpt; we print our own position.
  let msg = raw.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  msg = `invalid YAML: ${msg.charAt(0).toLowerCase()}${msg.slice(1)}`;
  const src = text.split('\n')[line - 1] ?? '';
  if (/:\s*\[[0-9a-fA-F:.\/]*\]:/.test(src)) msg += ' (quote IPv6 endpoints: "[::1]:5000")';
  if (code === 'DUPLICATE_KEY') msg = 'duplicate key: each key may appear once per mapping';
  return msg;
}

class Validator {
  readonly problems: PlacedProblem[] = [];
  constructor(
    private readonly lc: LineCounter,
    private readonly text: string,
  ) {}

  pos(node: Node | Pair | null | undefined): SourcePos {
    const range = node && 'range' in node ? node.range : undefined;
    const off = range ? range[0] : 0;
    return this.lc.linePos(Math.min(off, this.text.length));
  }

  fail(node: Node | null | undefined, message: string): void {
    const p = this.pos(node);
    this.problems.push({ line: p.line, col: p.col, message });
  }

  /** Rejects aliases (a plain `*:5000` parses as one) with a hint instead of resolving them. */
  deref(node: unknown): Node | null {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      this.fail(node, `"*${node.source}" is read as a YAML alias: quote values that start with "*", e.g. "*:5000"`);
      return null;
    }
    return node as Node;
  }

  top(root: Node | null, file: string): ExpectationSet {
    const set: ExpectationSet = { file, expectations: [], global: [] };
    if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) {
      this.problems.push({ line: 1, col: 1, message: 'the expectations file is empty: it needs an "expectations:" list or a "global:" map' });
      return set;
    }
    // A bare list is accepted as the expectations themselves.
    if (isSeq(root)) {
      this.expectationList(root, set);
      return set;
    }
    if (!isMap(root)) {
      this.fail(root, 'the expectations file must be a mapping with "expectations:" and/or "global:"');
      return set;
    }
    for (const pair of this.pairs(root, TOP_KEYS, 'top level')) {
      const [key, value] = pair;
      if (key === 'version') {
        if (!isScalar(value) || (value.value !== 1 && value.value !== '1')) this.fail(value ?? null, 'version must be 1');
      } else if (key === 'expectations') {
        if (value === null || (isScalar(value) && value.value === null)) continue;
        if (!isSeq(value)) this.fail(value, '"expectations" must be a list (items start with "- ")');
        else this.expectationList(value, set);
      } else if (key === 'global') {
        if (value === null || (isScalar(value) && value.value === null)) continue;
        if (!isMap(value)) this.fail(value, '"global" must be a mapping');
        else this.globals(value, set);
      }
    }
    if (set.expectations.length === 0 && set.global.length === 0 && this.problems.length === 0) {
      this.fail(root, 'no expectations: add an "expectations:" list or a "global:" map');
    }
    return set;
  }

  /** Yields [key, value node] for known keys; reports unknown keys with a suggestion. */
  *pairs(map: YAMLMap, known: readonly string[], where: string, hint?: (key: string) => string | null): Generator<[string, Node | null, Node]> {
    for (const item of map.items) {
      const keyNode = this.deref(item.key);
      if (!keyNode) continue;
      if (!isScalar(keyNode) || typeof keyNode.value === 'object') {
        this.fail(keyNode, `keys must be plain words (in ${where})`);
        continue;
      }
      const key = String(keyNode.value);
      if (!known.includes(key)) {
        const extra = hint?.(key);
        const sug = didYouMean(key, known);
        let msg = `unknown key "${key}" in ${where}`;
        if (extra) msg += `: ${extra}`;
        else if (sug) msg += `: did you mean "${sug}"?`;
        else msg += ` (known: ${known.join(', ')})`;
        this.fail(keyNode, msg);
        continue;
      }
      const value = item.value === null || item.value === undefined ? null : this.deref(item.value);
      if (item.value !== null && item.value !== undefined && value === null) continue;
      yield [key, value, keyNode];
    }
  }

  expectationList(seq: Node & { items: unknown[] }, set: ExpectationSet): void {
    for (const raw of seq.items) {
      const node = this.deref(raw);
      if (!node) continue;
      const index = set.expectations.length + 1;
      if (!isMap(node)) {
        this.fail(node, `expectation ${index} must be a mapping with "match:" and "expect:"`);
        set.expectations.push({ index, name: null, pos: this.pos(node), match: {}, expect: {} });
        continue;
      }
      set.expectations.push(this.expectation(node, index));
    }
  }

  expectation(map: YAMLMap, index: number): Expectation {
    const exp: Expectation = { index, name: null, pos: this.pos(map as unknown as Node), match: {}, expect: {} };
    const where = `expectation ${index}`;
    const misplaced = (key: string): string | null => {
      if ((SELECTOR_KEYS as readonly string[]).includes(key)) return `"${key}" selects conversations: put it under "match:"`;
      if ((ASSERTION_KEYS as readonly string[]).includes(key)) return `"${key}" is an assertion: put it under "expect:"`;
      if ((GLOBAL_KEYS as readonly string[]).includes(key)) return `"${key}" is a global assertion: put it under the top-level "global:"`;
      return null;
    };
    for (const [key, value] of this.pairs(map, EXPECTATION_KEYS, where, misplaced)) {
      if (key === 'name') {
        if (!isScalar(value) || value.value === null || typeof value.value === 'object') this.fail(value ?? (map as unknown as Node), 'name must be text');
        else exp.name = String(value.value);
      } else if (key === 'match') {
        if (value === null || (isScalar(value) && value.value === null)) continue;
        if (!isMap(value)) this.fail(value, '"match" must be a mapping of selectors (to, from, interface, protocol, http.path, dns.qname …)');
        else exp.match = this.selector(value, where);
      } else if (key === 'expect') {
        if (value === null || (isScalar(value) && value.value === null)) continue;
        if (!isMap(value)) this.fail(value, '"expect" must be a mapping of assertions (reaches, via, count …)');
        else exp.expect = this.assertions(value, where);
      }
    }
    return exp;
  }

  selector(map: YAMLMap, where: string): Selector {
    const sel: Selector = {};
    const misplaced = (key: string): string | null => {
      if ((ASSERTION_KEYS as readonly string[]).includes(key)) return `"${key}" is an assertion: put it under "expect:"`;
      if (key === 'http' || key === 'dns' || key === 'tls') return `write application fields as dotted keys, e.g. "${key === 'dns' ? 'dns.qname' : key === 'tls' ? 'tls.sni' : 'http.path'}"`;
      if (key === 'iface') return 'did you mean "interface"?';
      return null;
    };
    for (const [key, value, keyNode] of this.pairs(map, SELECTOR_KEYS, `${where} match`, misplaced)) {
      const at = value ?? keyNode;
      switch (key) {
        case 'to':
        case 'from': {
          const p = this.endpoint(at, value, key);
          if (p) sel[key] = p;
          break;
        }
        case 'interface': {
          const names = this.stringList(at, value, key);
          if (names) sel.interface = names.map((n) => ({ text: n, re: globToRegExp(n) }));
          break;
        }
        case 'protocol': {
          const names = this.stringList(at, value, key);
          if (!names) break;
          const out: string[] = [];
          for (const n of names) {
            const l = n.toLowerCase();
            // A number is compared as the flow summaries write it: `2` selects the flows they
            // call `igmp`; a protocol without a name stays a number there and here.
            if (PROTOCOLS.includes(l)) out.push(l);
            else if (/^\d{1,3}$/.test(l)) out.push(ipProtoName(Number(l)));
            else this.failValue(at, `unknown protocol "${n}"`, n, PROTOCOLS);
          }
          sel.protocol = out;
          break;
        }
        default: {
          const s = this.string(at, value, key);
          // DNS names compare without case and without the root dot.
          const appKey = key as 'http.path' | 'http.host' | 'http.method' | 'dns.qname' | 'tls.sni';
          if (s !== null) sel[appKey] = key === 'dns.qname' ? { text: s, re: globToRegExp(s.replace(/\.$/, ''), true) } : { text: s, re: globToRegExp(s, key !== 'http.path') };
        }
      }
    }
    return sel;
  }

  assertions(map: YAMLMap, where: string): Assertions {
    const a: Assertions = {};
    const misplaced = (key: string): string | null => {
      if ((SELECTOR_KEYS as readonly string[]).includes(key)) return `"${key}" selects conversations: put it under "match:"`;
      if ((GLOBAL_KEYS as readonly string[]).includes(key)) return `"${key}" is a global assertion: put it under the top-level "global:"`;
      if (key === 'mechanism') return 'did you mean "via"?';
      if (key === 'latency') return 'did you mean "maxLatency"?';
      return null;
    };
    for (const [key, value, keyNode] of this.pairs(map, ASSERTION_KEYS, `${where} expect`, misplaced)) {
      const at = value ?? keyNode;
      switch (key) {
        case 'reaches': {
          const p = this.endpoint(at, value, key);
          if (p) a.reaches = p;
          break;
        }
        case 'via': {
          const m = this.mechanisms(at, value, key);
          if (m) a.via = m;
          break;
        }
        case 'clientIpPreserved': {
          if (!isScalar(value) || typeof value.value !== 'boolean') this.fail(at, 'clientIpPreserved must be true or false');
          else a.clientIpPreserved = value.value;
          break;
        }
        case 'minConfidence': {
          const n = isScalar(value) ? value.value : undefined;
          if (typeof n !== 'number' || !(n >= 0 && n <= 1)) this.fail(at, 'minConfidence must be a number between 0 and 1, e.g. 0.9');
          else a.minConfidence = n;
          break;
        }
        case 'count': {
          const c = this.count(at, value);
          if (c) a.count = c;
          break;
        }
        case 'maxLatency': {
          const s = this.string(at, value, key);
          if (s === null) break;
          const d = parseDuration(s);
          if (typeof d === 'string') this.fail(at, `maxLatency: ${d}`);
          else a.maxLatency = d;
          break;
        }
        case 'state': {
          const names = this.stringList(at, value, key);
          if (!names) break;
          const out: ConversationState[] = [];
          for (const n of names) {
            if ((CONVERSATION_STATES as readonly string[]).includes(n)) out.push(n as ConversationState);
            else this.failValue(at, `unknown state "${n}"`, n, CONVERSATION_STATES);
          }
          a.state = out;
          break;
        }
      }
    }
    return a;
  }

  globals(map: YAMLMap, set: ExpectationSet): void {
    const misplaced = (key: string): string | null => {
      if ((SELECTOR_KEYS as readonly string[]).includes(key) || (ASSERTION_KEYS as readonly string[]).includes(key)) {
        return `"${key}" belongs to an expectation (under "expectations:")`;
      }
      return null;
    };
    for (const [key, value, keyNode] of this.pairs(map, GLOBAL_KEYS, 'global', misplaced)) {
      const at = value ?? keyNode;
      const pos = this.pos(keyNode);
      if (key === 'noUnpaired') {
        if (isScalar(value) && typeof value.value === 'boolean') {
          if (value.value) set.global.push({ kind: 'noUnpaired', pos, interfaces: null });
        } else {
          const names = this.stringList(at, value, key, 'true, false, or a list of interfaces');
          if (names) set.global.push({ kind: 'noUnpaired', pos, interfaces: names });
        }
      } else if (key === 'noMechanism') {
        const m = this.mechanisms(at, value, key);
        if (m) set.global.push({ kind: 'noMechanism', pos, mechanisms: m });
      } else if (key === 'maxRetransmissions') {
        const n = isScalar(value) ? value.value : undefined;
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) this.fail(at, 'maxRetransmissions must be a whole number ≥ 0');
        else set.global.push({ kind: 'maxRetransmissions', pos, max: n });
      }
    }
  }

  // ---- value helpers

  failValue(at: Node, message: string, got: string, known: readonly string[]): void {
    const sug = didYouMean(got, known);
    this.fail(at, sug ? `${message}: did you mean "${sug}"?` : `${message} (one of: ${known.join(', ')})`);
  }

  string(at: Node, value: Node | null, key: string): string | null {
    if (!isScalar(value) || value.value === null || typeof value.value === 'object') {
      this.fail(at, `${key} must be a single value`);
      return null;
    }
    return String(value.value);
  }

  stringList(at: Node, value: Node | null, key: string, what = 'a value or a list'): string[] | null {
    if (isScalar(value) && value.value !== null && typeof value.value !== 'object') return [String(value.value)];
    if (isSeq(value)) {
      const out: string[] = [];
      for (const raw of value.items) {
        const item = this.deref(raw);
        if (!item) return null;
        if (!isScalar(item) || item.value === null || typeof item.value === 'object') {
          this.fail(item, `${key}: list items must be single values`);
          return null;
        }
        out.push(String(item.value));
      }
      if (out.length === 0) {
        this.fail(at, `${key}: the list is empty`);
        return null;
      }
      return out;
    }
    this.fail(at, `${key} must be ${what}`);
    return null;
  }

  endpoint(at: Node, value: Node | null, key: string): EndpointPattern | null {
    if (isScalar(value) && typeof value.value === 'number') {
      this.fail(at, `${key}: ${value.value} is a bare number: write ":${value.value}" for any address on that port, or "ip:${value.value}"`);
      return null;
    }
    const s = this.string(at, value, key);
    if (s === null) return null;
    const p = parseEndpointPattern(s);
    if (typeof p === 'string') {
      this.fail(at, `${key}: ${p}`);
      return null;
    }
    return p;
  }

  mechanisms(at: Node, value: Node | null, key: string): Mechanism[] | null {
    const names = this.stringList(at, value, key);
    if (!names) return null;
    const out: Mechanism[] = [];
    for (const n of names) {
      if ((MECHANISMS as readonly string[]).includes(n)) out.push(n as Mechanism);
      else this.failValue(at, `${key}: unknown mechanism "${n}"`, n, MECHANISMS);
    }
    return out.length === names.length ? out : null;
  }

  count(at: Node, value: Node | null): CountSpec | null {
    if (isScalar(value)) {
      const v = value.value;
      if (typeof v === 'number') {
        if (!Number.isInteger(v) || v < 0) {
          this.fail(at, 'count must be a whole number ≥ 0');
          return null;
        }
        return { min: v, max: v };
      }
      if (v === false) return { min: 0, max: 0 };
      if (typeof v === 'string') {
        const c = parseCountText(v);
        if (typeof c === 'string') {
          this.fail(at, `count: ${c}`);
          return null;
        }
        return c;
      }
    }
    if (isMap(value)) {
      const spec: CountSpec = { min: 0, max: null };
      let seen = 0;
      for (const [k, v] of this.pairs(value, ['exactly', 'atLeast', 'atMost'], 'count')) {
        const n = isScalar(v) ? v.value : undefined;
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
          this.fail(v ?? at, `count.${k} must be a whole number ≥ 0`);
          return null;
        }
        seen++;
        if (k === 'exactly') {
          spec.min = n;
          spec.max = n;
        } else if (k === 'atLeast') spec.min = Math.max(spec.min, n);
        else spec.max = spec.max === null ? n : Math.min(spec.max, n);
      }
      if (seen === 0) {
        this.fail(at, 'count needs "exactly", "atLeast" or "atMost"');
        return null;
      }
      if (spec.max !== null && spec.max < spec.min) {
        this.fail(at, 'count can never hold: atMost is below atLeast');
        return null;
      }
      return spec;
    }
    this.fail(at, 'count must be a number, ">= N", "<= N", none, or {exactly|atLeast|atMost: N}');
    return null;
  }
}
