/**
 * pcapng timestamps: a 64-bit count of units (10^-n or 2^-n s, per IDB if_tsresol) plus
 * if_tsoffset seconds, converted exactly to (seconds, nanoseconds). Doubles are exact for
 * integers below 2^53, which covers every timestamp before the year 2255 at microsecond
 * resolution; beyond that (or for unusual resolutions) the conversion switches to BigInt.
 */
export interface TsResolution {
  /** if_tsresol as written (default 6). */
  raw: number;
  binary: boolean;
  exponent: number;
  /** Units per second as a double when exactly representable, else 0. */
  unitsPerSec: number;
  unitsBig: bigint;
  /** Multiplier (decimal exponent <= 9) or divisor (decimal exponent 10..15) to get ns; 0 = BigInt only. */
  nsMul: number;
  nsDiv: number;
}

const TWO32 = 4294967296;
const TWO21 = 0x200000;
const NS = 1_000_000_000n;

export function tsResolution(raw: number): TsResolution {
  const binary = (raw & 0x80) !== 0;
  const exponent = raw & 0x7f;
  const unitsBig = binary ? 1n << BigInt(exponent) : 10n ** BigInt(exponent);
  let unitsPerSec = 0;
  let nsMul = 0;
  let nsDiv = 0;
  if (binary) {
    if (exponent <= 23) unitsPerSec = 2 ** exponent; // frac * 1e9 stays below 2^53
  } else if (exponent <= 9) {
    unitsPerSec = 10 ** exponent;
    nsMul = 10 ** (9 - exponent);
  } else if (exponent <= 15) {
    unitsPerSec = 10 ** exponent;
    nsDiv = 10 ** (exponent - 9);
  }
  return { raw, binary, exponent, unitsPerSec, unitsBig, nsMul, nsDiv };
}

export const DEFAULT_TS_RESOLUTION = tsResolution(6);

/** Target of a conversion; the reused record satisfies it, so no object is allocated. */
export interface TsTarget {
  tsSec: number;
  tsNsec: number;
}

/** Sets out.tsSec/tsNsec from the two 32-bit halves of a pcapng timestamp. */
export function setPcapngTime(out: TsTarget, high: number, low: number, res: TsResolution, offsetSec: number): void {
  const u = res.unitsPerSec;
  if (high < TWO21 && u !== 0) {
    const ts = high * TWO32 + low;
    // Division + exact correction is much cheaper than a floating-point modulo; sec * u is
    // exact because it does not exceed ts < 2^53.
    let sec = Math.floor(ts / u);
    let frac = ts - sec * u;
    if (frac < 0) {
      sec--;
      frac += u;
    } else if (frac >= u) {
      sec++;
      frac -= u;
    }
    out.tsSec = sec + offsetSec;
    if (res.nsMul !== 0) out.tsNsec = frac * res.nsMul;
    else if (res.nsDiv !== 0) out.tsNsec = (frac - (frac % res.nsDiv)) / res.nsDiv;
    else out.tsNsec = Math.floor((frac * 1e9) / u);
    return;
  }
  const ts = (BigInt(high) << 32n) | BigInt(low);
  const sec = ts / res.unitsBig;
  const frac = ts % res.unitsBig;
  out.tsSec = Number(sec) + offsetSec;
  out.tsNsec = Number((frac * NS) / res.unitsBig);
}

/** "1418145369.999999000": the epoch form tshark prints as frame.time_epoch. */
export function formatEpoch(tsSec: number, tsNsec: number): string {
  return `${tsSec}.${String(tsNsec).padStart(9, '0')}`;
}
