/**
 * The bench generator's capture (lo/docker0/eth0 mixing docker-proxy, DNAT and MASQUERADE, a
 * third with identical payloads), small instance: pairing against the generator's own truth.
 */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { generateNatScenarios } from '../../bench/gen-nat-scenarios.js';
import { measureCorrelate } from '../../bench/correlate-bench.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('natflow-corr-');

it('pairs 600 generated conversations with precision and recall >= 99.5%', async () => {
  const pcapng = join(dir, 'nat.pcapng');
  const truthPath = join(dir, 'truth.json');
  const gen = generateNatScenarios(pcapng, truthPath, 600);
  expect(gen.truth.filter((t) => t.identicalPayload).length).toBeGreaterThan(100);
  const r = await measureCorrelate(pcapng, truthPath);
  expect(r.truePairs).toBe(600);
  expect(r.precision).toBeGreaterThanOrEqual(0.995);
  expect(r.recall).toBeGreaterThanOrEqual(0.995);
}, 60_000);

it('pairs 600 generated conversations of the web mix (multi-segment responses, proxy re-segmented) with precision and recall >= 99.5%', async () => {
  const pcapng = join(dir, 'nat-web.pcapng');
  const truthPath = join(dir, 'truth-web.json');
  const gen = generateNatScenarios(pcapng, truthPath, 600, 7, 'web');
  // Responses must really span several full segments, or this mix measures nothing new.
  const multiSegment = gen.truth.filter((t) => (t.responseBytes ?? 0) > 2 * 1448).length;
  expect(multiSegment).toBeGreaterThan(100);
  expect(gen.truth.filter((t) => t.identicalPayload).length).toBeGreaterThan(100);
  const r = await measureCorrelate(pcapng, truthPath);
  expect(r.truePairs).toBe(600);
  expect(r.precision).toBeGreaterThanOrEqual(0.995);
  expect(r.recall).toBeGreaterThanOrEqual(0.995);
}, 60_000);
