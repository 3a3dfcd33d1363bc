/**
 * The expectations file of `natflow check`, after validation. Field names mirror the YAML keys
 * (see examples/expectations/README.md); every item keeps the line it came from so results and
 * JUnit test cases point back at the file.
 */
import type { Mechanism } from '../correlate/model.js';
import type { CountSpec } from './count-spec.js';
import type { EndpointPattern } from './endpoint-pattern.js';
import { IP_PROTO_NAMES } from '../flows/ip-proto.js';

export interface SourcePos {
  line: number;
  col: number;
}

/** What happened to a conversation, judged over all its legs (see evaluate.ts). */
export type ConversationState = 'completed' | 'reset' | 'refused' | 'unanswered';
export const CONVERSATION_STATES: readonly ConversationState[] = ['completed', 'reset', 'refused', 'unanswered'];

/** The names `protocol:` takes: those the flow summaries write (../flows/ip-proto.ts). */
export const PROTOCOLS: readonly string[] = IP_PROTO_NAMES;

export interface TextGlob {
  text: string;
  re: RegExp;
}

export interface Selector {
  /** The client's destination on the entry leg (what it connected to). */
  to?: EndpointPattern;
  /** The client's own endpoint on the entry leg. */
  from?: EndpointPattern;
  /** Interface of the entry leg; any of these (globs). */
  interface?: TextGlob[];
  protocol?: string[];
  'http.path'?: TextGlob;
  'http.host'?: TextGlob;
  'http.method'?: TextGlob;
  'dns.qname'?: TextGlob;
  'tls.sni'?: TextGlob;
}

export const SELECTOR_KEYS = [
  'to',
  'from',
  'interface',
  'protocol',
  'http.path',
  'http.host',
  'http.method',
  'dns.qname',
  'tls.sni',
] as const;

export interface Assertions {
  reaches?: EndpointPattern;
  via?: Mechanism[];
  clientIpPreserved?: boolean;
  minConfidence?: number;
  /** Defaults to "at least 1": an expectation that selects nothing did not see what it expects. */
  count?: CountSpec;
  /** Seconds, compared with every hop's latency. */
  maxLatency?: number;
  state?: ConversationState[];
}

export const ASSERTION_KEYS = [
  'reaches',
  'via',
  'clientIpPreserved',
  'minConfidence',
  'count',
  'maxLatency',
  'state',
] as const;

export interface Expectation {
  /** 1-based position in the file. */
  index: number;
  name: string | null;
  pos: SourcePos;
  match: Selector;
  expect: Assertions;
}

export type GlobalAssertion =
  | { kind: 'noUnpaired'; pos: SourcePos; interfaces: string[] | null }
  | { kind: 'noMechanism'; pos: SourcePos; mechanisms: Mechanism[] }
  | { kind: 'maxRetransmissions'; pos: SourcePos; max: number };

export const GLOBAL_KEYS = ['noUnpaired', 'noMechanism', 'maxRetransmissions'] as const;
export const EXPECTATION_KEYS = ['name', 'match', 'expect'] as const;
export const TOP_KEYS = ['version', 'expectations', 'global'] as const;

export interface ExpectationSet {
  file: string;
  expectations: Expectation[];
  global: GlobalAssertion[];
}
