/**
 * Why a file could not be opened or read, in words, for one-line messages that name the file
 * themselves: Node's own message (`ENOENT: no such file or directory, open '…'`) repeats the
 * path and names the system call.
 */
export function fsErrorText(e: unknown): string {
  switch ((e as { code?: unknown } | null)?.code) {
    case 'ENOENT':
      return 'no such file (ENOENT)';
    case 'EACCES':
      return 'permission denied (EACCES)';
    case 'EPERM':
      return 'operation not permitted (EPERM)';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a part of the path is not a directory (ENOTDIR)';
    default:
      return errorCodeOrMessage(e);
  }
}

/** An error's code when it has one (fs errors' messages repeat the path), else its message. */
export function errorCodeOrMessage(e: unknown): string {
  if (e && typeof e === 'object') {
    const code = (e as { code?: unknown }).code;
    const msg = (e as { message?: unknown }).message;
    if (typeof code === 'string' && typeof msg === 'string') {
      // zlib messages ("unexpected end of file") are clear; fs messages repeat the path.
      return code.startsWith('Z_') ? `gzip: ${msg}` : code;
    }
    if (typeof msg === 'string') return msg;
  }
  return String(e);
}
