/**
 * A flow with no counterpart (host networking: 07) is listed once even when the same capture
 * point was recorded in several files, and the text output says why it may have no counterpart.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/run-cli.js';
import { capturesDir } from '../helpers/paths.js';

const dir = join(capturesDir, '07-host-network');

describe.skipIf(!existsSync(join(dir, 'truth.json')))('unpaired flows (07 host networking)', () => {
  it('one connection recorded in lo.pcap, any.pcap and all.pcapng is one unpaired flow, with its reasons', async () => {
    const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as { conversations: { mechanism: string }[] };
    const none = truth.conversations.filter((c) => c.mechanism === 'none').length;
    const json = await runCli(['analyze', '--json', dir]);
    expect(json.code).toBe(0);
    const a = JSON.parse(json.stdout) as { unpaired: string[]; flows: { id: string; proto: string }[]; inferences: string[] };
    const tcpUnpaired = a.unpaired.filter((id) => a.flows.find((f) => f.id === id)?.proto === 'tcp');
    expect(tcpUnpaired).toHaveLength(none);
    expect(a.inferences.some((l) => l.startsWith('unpaired flows recorded in more than one file are listed once'))).toBe(true);

    const text = await runCli(['analyze', dir]);
    expect(text.stdout).toContain(`${none} unpaired flow on lo`);
    expect(text.stdout).toMatch(/local traffic on the loopback\s+interface/);
    // docker0, eth0 and the veths were captured too (empty): not "only one interface".
    expect(text.stdout).not.toContain('only one interface was captured');
  });

  it('an -i any capture holds every interface: a flow it shows on lo alone is not "maybe on an interface not captured"', async () => {
    const any = await runCli(['analyze', join(dir, 'any.pcap')]);
    expect(any.code).toBe(0);
    expect(any.stdout).toMatch(/local traffic on the loopback\s+interface/);
    expect(any.stdout).not.toContain('only one interface was captured');
    // A capture of lo alone may well miss the counterpart: that is still said.
    const lo = await runCli(['analyze', join(dir, 'lo.pcap')]);
    expect(lo.stdout).toMatch(/only one interface was captured/);
  });
});
