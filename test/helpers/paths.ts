/** Where the tests find their inputs: the repo's lab recordings and the shared third-party corpus. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The lab scenarios recorded for natflow (captures/NN-name/). */
export const capturesDir = path.join(repoRoot, 'captures');
/** Third-party reference captures, read-only, beside the clone (CI has ../shared too); never copied in. */
export const pcapsDir = path.resolve(repoRoot, '../shared/pcaps');
export const havePcaps = existsSync(path.join(pcapsDir, 'MANIFEST.tsv'));
