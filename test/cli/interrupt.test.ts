/**
 * Ctrl-C while natflow reads a live capture (a pipe its writer holds open, as `ssh host tcpdump
 * -U -w -` does) ends the reading, not the program: what was read is analyzed and written, one
 * line on stderr says where the reading stopped, and the exit code is 130.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { capturesDir, repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';

const bin = path.join(repoRoot, 'bin', 'natflow');
const scenario = path.join(capturesDir, '08-concurrent');
const eth0 = path.join(scenario, 'eth0.pcap');
const docker0 = path.join(scenario, 'docker0.pcap');
const tmp = tempDir('natflow-interrupt-');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs natflow with `args`, where `{name}` is a named pipe fed that scenario file (`{eth0}`:
 * eth0.pcap) and then held open, as a live capture's is; sends SIGINT once the files have been
 * written into the pipes and read, and collects the result.
 */
function runInterrupted(args: string[], label: string): Promise<Run> {
  const writers: number[] = [];
  const written: string[] = [];
  const withPipes = args.map((a) =>
    a.replace(/\{(\w+)\}/, (_, name: string) => {
      const fifo = path.join(tmp, `${label}-${name}.fifo`);
      const done = `${fifo}.written`;
      execFileSync('mkfifo', [fifo]);
      const w = spawn('sh', ['-c', `(cat '${path.join(scenario, `${name}.pcap`)}'; touch '${done}'; sleep 60) > '${fifo}'`], { stdio: 'ignore', detached: true });
      writers.push(w.pid!);
      written.push(done);
      return fifo;
    }),
  );
  const child = spawn(process.execPath, [bin, ...withPipes], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Each file is larger than a pipe holds (64 KiB): its writer is done only once natflow reads.
  // Then what is left in the pipe is read in far less than the half second given.
  const interrupt = async (): Promise<void> => {
    while (!written.every((f) => existsSync(f))) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGINT');
  };
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      for (const pid of writers) process.kill(-pid, 'SIGTERM');
      resolve({ code, stdout, stderr });
    });
    interrupt().catch(reject);
  });
}

describe('Ctrl-C while reading a live capture', () => {
  it('analyze: the packets read are analyzed and written, the files after are named as not read, exit 130', async () => {
    const r = await runInterrupted(['analyze', 'eth0={eth0}', docker0], 'analyze');
    expect(r.code).toBe(130);
    const size = statSync(eth0).size;
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^natflow: interrupted: \\S+analyze-eth0\\.fifo read to byte ${size} \\(not read: ${docker0.replace(/[.]/g, '\\.')}\\); what was read before it is in the output$`));
    // eth0's 50 DNAT conversations are there, unpaired: docker0 was never read.
    expect(r.stdout).toMatch(/^natflow analysis\nNo conversations were paired across the captures; 50 unpaired flows on eth0\./);
    expect(r.stdout.replace(/\s+/g, ' ')).toContain(`reading was stopped (interrupted) at byte ${size} of`);
  }, 30_000);

  it('flows: the flows read are listed, exit 130', async () => {
    const r = await runInterrupted(['flows', 'eth0={eth0}'], 'flows');
    expect(r.code).toBe(130);
    const whole = execFileSync(process.execPath, [bin, 'flows', `eth0=${eth0}`], { encoding: 'utf8' });
    expect(r.stdout).toBe(whole);
    expect(r.stderr).toMatch(/^natflow: interrupted: \S+flows-eth0\.fifo read to byte \d+; what was read before it is in the output\n$/);
  }, 30_000);

  it('several live captures are read at the same time: eth0 and docker0 from two pipes, paired as from the files', async () => {
    const r = await runInterrupted(['analyze', 'eth0={eth0}', 'docker0={docker0}'], 'two');
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(new RegExp(`^natflow: interrupted: \\S+two-eth0\\.fifo read to byte ${statSync(eth0).size}, \\S+two-docker0\\.fifo read to ${statSync(docker0).size}; what was read before it is in the output\\n$`));
    const files = execFileSync(process.execPath, [bin, 'analyze', `eth0=${eth0}`, `docker0=${docker0}`], { encoding: 'utf8' });
    const summary = (text: string): string => text.split('\n\n')[0];
    expect(summary(r.stdout)).toBe(summary(files));
    expect(summary(files)).toMatch(/50 through DNAT/);
  }, 30_000);
});
