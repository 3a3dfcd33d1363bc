/**
 * Every recorded lab scenario (captures/NN-name with a truth.json) is paired exactly as its truth
 * says, whichever way it was captured: one file per interface, one `-i any` capture (interfaces
 * named through --links), the multi-interface pcapng, or the whole scenario directory (all of
 * those at once: the same capture points recorded in several files must not become extra legs).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { parseLinksDump } from '../../src/flows/interface-names.js';
import { anyCaptureLacksTcpFlags, checkAgainstTruth, scenarios } from './truth.js';
import { parseCaptureOptions } from '../../src/cli/capture-options.js';
import type { Flow } from '../../src/flows/flow.js';
import { onBridgePort } from '../../src/flows/interface-role.js';

const all = scenarios();

describe.skipIf(all.length === 0)('lab scenarios against truth.json', () => {
  for (const s of all) {
    // A headers-only -i any capture that kept no TCP flags of its IPv6 connections shows no
    // handshake to pair: the per-interface files and the pcapng (Ethernet) still do.
    const blind = anyCaptureLacksTcpFlags(s);
    const why = blind ? ` (skipped: snaplen ${s.snaplen} leaves an -i any IPv6 copy no TCP flags)` : '';
    it(`${s.name}: per-interface files`, async () => {
      const r = await analyzeCaptures(Object.values(s.perInterface));
      expect(r.errors).toEqual([]);
      expect(checkAgainstTruth(s, r.analysis, r.flows, new Set(Object.keys(s.perInterface)))).toEqual([]);
    });

    it.skipIf(s.any === null || blind)(`${s.name}: -i any capture with --links${why}`, async () => {
      const names = parseLinksDump(readFileSync(join(s.dir, 'ip-link.txt'), 'utf8'));
      const r = await analyzeCaptures([s.any!], { ifindexNames: names });
      expect(r.errors).toEqual([]);
      expect(checkAgainstTruth(s, r.analysis, r.flows, new Set(names.values()))).toEqual([]);
    });

    it.skipIf(s.any === null || blind)(`${s.name}: -i any capture without interface names (if<N>)${why}`, async () => {
      // What a user gets without --links: the pairing and the mechanisms must not depend on names.
      const names = parseLinksDump(readFileSync(join(s.dir, 'ip-link.txt'), 'utf8'));
      const r = await analyzeCaptures([s.any!]);
      expect(r.errors).toEqual([]);
      expect(r.flows.every((f) => /^if\d+$/.test(f.iface))).toBe(true);
      const named = r.flows.map((f) => Object.assign(Object.create(Object.getPrototypeOf(f) as object) as Flow, f, { iface: names.get(Number(f.iface.slice(2))) ?? f.iface }));
      expect(checkAgainstTruth(s, r.analysis, named, new Set(names.values()))).toEqual([]);
      // Only containers' veths are taken for bridge ports, and the inferences say which.
      const ports = [...new Set(r.flows.filter((f) => onBridgePort(f) === true).map((f) => f.iface))];
      expect(ports.map((i) => names.get(Number(i.slice(2)))).filter((n) => !n?.startsWith('veth'))).toEqual([]);
      const note = r.analysis.inferences.find((i) => i.includes('known only by index'))!;
      const claimed = note.includes('; ') ? note.slice(note.lastIndexOf('; ')) : '';
      expect(claimed.match(/\bif\d+\b/g) ?? []).toEqual(expect.arrayContaining(ports));
      expect((claimed.match(/\bif\d+\b/g) ?? []).length).toBe(ports.length);
    });

    it.skipIf(s.pcapng === null)(`${s.name}: pcapng`, async () => {
      const r = await analyzeCaptures([s.pcapng!]);
      expect(r.errors).toEqual([]);
      const present = new Set(r.analysis.captures.flatMap((c) => c.interfaces));
      expect(checkAgainstTruth(s, r.analysis, r.flows, present)).toEqual([]);
    });

    it.skipIf(blind)(`${s.name}: the whole directory, SLL2 names from its ip-link dump${why}`, async () => {
      const r = await analyzeCaptures([s.dir], parseCaptureOptions({}, [s.dir]));
      expect(r.errors).toEqual([]);
      const present = new Set(r.analysis.captures.flatMap((c) => c.interfaces));
      expect([...present].filter((i) => /^if\d+$/.test(i))).toEqual([]);
      expect(checkAgainstTruth(s, r.analysis, r.flows, present)).toEqual([]);
    });
  }
});
