import type { CaptureWarning } from './capture-error.js';

/** Keeps the first `limit` warnings and counts the rest, so a hostile file cannot grow memory. */
export class WarningLog {
  readonly list: CaptureWarning[] = [];
  suppressed = 0;

  constructor(private readonly limit = 100) {}

  add(offset: number, message: string): void {
    if (this.list.length < this.limit) this.list.push({ offset, message });
    else this.suppressed++;
  }

  /** The kept warnings plus one summary entry for the suppressed ones. */
  result(): CaptureWarning[] {
    if (this.suppressed === 0) return this.list;
    return [...this.list, { offset: -1, message: `${this.suppressed} more warnings not shown` }];
  }
}
