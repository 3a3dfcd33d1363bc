/** External tools the tests use as oracles (tshark) or to record (tcpdump, socat, …). */
import { execFileSync, spawnSync } from 'node:child_process';

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** tshark's decode of `file` as rows of the given fields, for the frames `filter` displays. */
export function tsharkFields(file: string, filter: string, fields: readonly string[]): string[][] {
  const args = ['-n', '-r', file, '-Y', filter, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])];
  return execFileSync('tshark', args, { encoding: 'utf8' })
    .trimEnd()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}
