/**
 * A Correlation whose sentences are written only when someone reads them. With tens of thousands
 * of conversations, the hops' field diffs, the evidence sentences and the explanation are most of
 * the analysis' allocations and retained memory, and a `check` run or a TUI page never reads most
 * of them. id / mechanism / confidence / legs / notes are plain fields (everything that counts or
 * filters reads them); `hops`, `evidence`, `explanation`, `communityIds` and `pairId` are built
 * on first read, from the same inputs and in the same order as an eager build would, then kept.
 *
 * The lazy fields are accessors on the prototype, so `{ ...c }`, `structuredClone(c)` and
 * `Object.keys(c)` do not see them: use `plainCorrelation(c)` first (JSON.stringify is fine:
 * `toJSON` writes every field in the model's order).
 */
import type { CaptureCopy, Correlation, Evidence, Hop, IcmpErrorReport, Mechanism } from './model.js';
import type { HopToAttribute } from './rules/attribute-rule.js';
import { pairId } from './pair-id.js';

/** What a lazy correlation needs to write its details; implemented by ./describe.ts. */
export interface CorrelationDetails {
  /** Hops and evidence, written from the conversation's capture data. */
  build(): { hops: Hop[]; evidence: Evidence[] };
  /** The hops as the rules module sees them (same order as `hops`). */
  attribute(): HopToAttribute[];
  /** Mechanism of each hop (same order as `hops`), without writing them. */
  readonly hopMechanisms: readonly Mechanism[];
  /** The Community ID of each of these legs (flow ids of this conversation), in the same order. */
  legCommunityIds(legs: readonly string[]): string[];
}

/** Writes a correlation's explanation; shared by every correlation of one analysis. */
export interface Explainer {
  explain: ((c: Correlation) => string[]) | null;
}

export class LazyCorrelation implements Correlation {
  id: string;
  mechanism: Mechanism;
  confidence: number;
  legs: string[];
  notes: string[];
  copies: CaptureCopy[] = [];
  // Declared, not initialised: correlations without ICMP errors keep exactly their former fields.
  declare icmpErrors?: IcmpErrorReport[];
  #details: CorrelationDetails | null;
  /** Evidence about attached ICMP errors, written after the hops' evidence. */
  #icmpEvidence: (() => Evidence[])[] | null = null;
  #explainer: Explainer;
  #hops: Hop[] | null = null;
  #evidence: Evidence[] | null = null;
  #explanation: string[] | null = null;
  #communityIds: string[] | null = null;
  #pairId: string | null = null;

  constructor(id: string, mechanism: Mechanism, confidence: number, legs: string[], notes: string[], details: CorrelationDetails, explainer: Explainer) {
    this.id = id;
    this.mechanism = mechanism;
    this.confidence = confidence;
    this.legs = legs;
    this.notes = notes;
    this.#details = details;
    this.#explainer = explainer;
  }

  #build(): void {
    const d = this.#details;
    if (d === null) return;
    const { hops, evidence } = d.build();
    this.#hops ??= hops;
    this.#evidence ??= this.#withIcmpEvidence(evidence);
  }

  #withIcmpEvidence(evidence: Evidence[]): Evidence[] {
    if (this.#icmpEvidence !== null) for (const w of this.#icmpEvidence) evidence.push(...w());
    return evidence;
  }

  /** Attaches an ICMP error message reporting on this conversation, and its evidence. */
  addIcmpError(report: IcmpErrorReport, evidence: () => Evidence[]): void {
    (this.icmpErrors ??= []).push(report);
    (this.#icmpEvidence ??= []).push(evidence);
  }

  get hops(): Hop[] {
    if (this.#hops === null) this.#build();
    return this.#hops ?? [];
  }
  set hops(v: Hop[]) {
    this.#hops = v;
  }

  get evidence(): Evidence[] {
    if (this.#evidence === null) this.#build();
    return this.#evidence ?? [];
  }
  set evidence(v: Evidence[]) {
    this.#evidence = v;
  }

  /** Computed on first read (a SHA-1 per flow), then kept. */
  get communityIds(): string[] {
    return (this.#communityIds ??= this.#details?.legCommunityIds(this.legs) ?? []);
  }
  set communityIds(v: string[]) {
    this.#communityIds = v;
  }

  get pairId(): string {
    return (this.#pairId ??= pairId(this.communityIds));
  }
  set pairId(v: string) {
    this.#pairId = v;
  }

  /** Written from the correlation as it is on first read (after side inputs, as `analyze` runs them). */
  get explanation(): string[] {
    if (this.#explanation === null) this.#explanation = this.#explainer.explain?.(this) ?? [];
    return this.#explanation;
  }
  set explanation(v: string[]) {
    this.#explanation = v;
  }

  /** Mechanism of each hop, without writing the hops. */
  hopMechanisms(): readonly Mechanism[] {
    if (this.#hops !== null || this.#details === null) return this.hops.map((h) => h.mechanism);
    return this.#details.hopMechanisms;
  }

  /** The hops as the rules module sees them (same order as `hops`). */
  hopTuples(): HopToAttribute[] {
    return this.#details?.attribute() ?? [];
  }

  toJSON(): Correlation {
    return plainCorrelation(this);
  }

  /**
   * Every field as `plainCorrelation` gives it, but what was not written yet is written for this
   * call only and not kept: an output that writes each correlation once (the streamed JSON) then
   * holds one correlation's sentences at a time, not all of them. What was already written (or
   * assigned, e.g. by the side inputs) is used as it is.
   *
   * `ids: false` for an output that does not print the Community IDs and the pair id (the text):
   * they are then computed only if read (a SHA-1 per leg and one per conversation otherwise).
   */
  transientPlain(ids = true): Correlation {
    let hops = this.#hops;
    let evidence = this.#evidence;
    if ((hops === null || evidence === null) && this.#details !== null) {
      const built = this.#details.build();
      hops ??= built.hops;
      evidence ??= this.#withIcmpEvidence(built.evidence);
    }
    let plain: Correlation;
    if (ids) {
      const communityIds = this.#communityIds ?? this.#details?.legCommunityIds(this.legs) ?? [];
      plain = {
        id: this.id,
        mechanism: this.mechanism,
        confidence: this.confidence,
        legs: this.legs,
        communityIds,
        pairId: this.#pairId ?? pairId(communityIds),
        hops: hops ?? [],
        evidence: evidence ?? [],
        explanation: [],
        notes: this.notes,
        copies: this.copies,
      };
    } else plain = new IdsOnRead(this, hops ?? [], evidence ?? []);
    if (this.icmpErrors !== undefined) plain.icmpErrors = this.icmpErrors;
    // The explainer reads the same fields from the plain copy as it would from `this`.
    plain.explanation = this.#explanation ?? this.#explainer.explain?.(plain) ?? [];
    return plain;
  }
}

/** transientPlain's copy without the ids: they are read from the lazy correlation when asked for. */
class IdsOnRead implements Correlation {
  id: string;
  mechanism: Mechanism;
  confidence: number;
  legs: string[];
  hops: Hop[];
  evidence: Evidence[];
  explanation: string[] = [];
  notes: string[];
  copies: CaptureCopy[];
  declare icmpErrors?: IcmpErrorReport[];
  readonly #source: LazyCorrelation;

  constructor(source: LazyCorrelation, hops: Hop[], evidence: Evidence[]) {
    this.#source = source;
    this.id = source.id;
    this.mechanism = source.mechanism;
    this.confidence = source.confidence;
    this.legs = source.legs;
    this.hops = hops;
    this.evidence = evidence;
    this.notes = source.notes;
    this.copies = source.copies;
  }

  get communityIds(): string[] {
    return this.#source.communityIds;
  }

  get pairId(): string {
    return this.#source.pairId;
  }
}

/** Every field as an own data property, in the model's order (for spreading and cloning). */
export function plainCorrelation(c: Correlation): Correlation {
  const plain: Correlation = {
    id: c.id,
    mechanism: c.mechanism,
    confidence: c.confidence,
    legs: c.legs,
    communityIds: c.communityIds,
    pairId: c.pairId,
    hops: c.hops,
    evidence: c.evidence,
    explanation: c.explanation,
    notes: c.notes,
    copies: c.copies,
  };
  if (c.icmpErrors !== undefined) plain.icmpErrors = c.icmpErrors;
  return plain;
}

/** Kernel mechanisms of a correlation's hops, lazy or not. */
export function hopMechanismsOf(c: Correlation): readonly Mechanism[] {
  return c instanceof LazyCorrelation ? c.hopMechanisms() : c.hops.map((h) => h.mechanism);
}
