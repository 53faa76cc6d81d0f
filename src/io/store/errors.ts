// The one error of the store: a StoreError with a short code the service acts on.
//   'read-only'  the state directory is on a read-only file system (EROFS)
//   'full'       no space or quota left (ENOSPC, EDQUOT)
//   'permission' the process may not create or write the files (EACCES, EPERM)
//   'io'         anything else the file system reported (EIO after a failed fsync, ENOTDIR...)
//   'closed'     the journal was closed, or poisoned by an earlier failed fsync (see journal.ts)
//   'busy'       the files are already open for writing in this process (a second writer would
//                interleave its records with the first's)
// Data problems (torn or corrupt records) are not errors: open() reports them and carries on.

export type StoreErrorCode = 'read-only' | 'full' | 'permission' | 'io' | 'closed' | 'busy';

export class StoreError extends Error {
  override name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    /** The errno name from the file system ('EROFS', 'ENOSPC'...), when there was one. */
    readonly errno?: string,
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const CODES: Readonly<Record<string, StoreErrorCode>> = {
  EROFS: 'read-only',
  ENOSPC: 'full',
  EDQUOT: 'full',
  EFBIG: 'full',
  EACCES: 'permission',
  EPERM: 'permission',
};

/** Types an error thrown by node:fs while doing `action` on `path`. */
export function toStoreError(error: unknown, action: string, path: string): StoreError {
  if (error instanceof StoreError) return error;
  const errno = (error as { code?: unknown } | null)?.code;
  const name = typeof errno === 'string' ? errno : undefined;
  const code = (name === undefined ? undefined : CODES[name]) ?? 'io';
  const text = error instanceof Error ? error.message : String(error);
  return new StoreError(code, `state store: ${action} ${path}: ${text}`, name, path, { cause: error });
}
