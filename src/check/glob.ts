/** Shell-style globs for application fields (`/api/*`, `*.example.com`): `*` any run, `?` one char. */
export function globToRegExp(glob: string, caseInsensitive = false): RegExp {
  let re = '^';
  for (const ch of glob) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`${re}$`, caseInsensitive ? 'is' : 's');
}
