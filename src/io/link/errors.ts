// The errors of the link layer: one base class with an errno-style `code`, and subclasses for the
// three situations a user must act on (grant a privilege, fix the interface name, install a
// build). Native errors arrive as plain Errors with `code` and `syscall`; toLinkError types them.

export interface LinkErrorDetails {
  readonly ifname?: string;
  readonly syscall?: string;
  readonly cause?: unknown;
}

export class LinkError extends Error {
  override name = 'LinkError';
  /** An errno name ('EPERM', 'ENODEV', 'ENETDOWN', …) or one of this module's own codes. */
  readonly code: string;
  readonly ifname: string | undefined;
  readonly syscall: string | undefined;

  constructor(message: string, code: string, details: LinkErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.ifname = details.ifname;
    this.syscall = details.syscall;
  }
}

export const PERMISSION_HINT =
  'needs CAP_NET_RAW: setcap cap_net_raw+ep $(readlink -f $(which node)) or systemd ' +
  'AmbientCapabilities=CAP_NET_RAW or docker --cap-add NET_RAW --network host';

/** Opening an AF_PACKET socket was refused (EPERM/EACCES): the process lacks CAP_NET_RAW. */
export class LinkPermissionError extends LinkError {
  override name = 'LinkPermissionError';
}

/** The interface does not exist (ENODEV) or is not an Ethernet interface (ENOTETHER). */
export class LinkInterfaceError extends LinkError {
  override name = 'LinkInterfaceError';
}

/** The native addon could not be loaded: no prebuild for this platform and no local build. */
export class LinkUnavailableError extends LinkError {
  override name = 'LinkUnavailableError';
}

/** Methods other than close/stats/ref/unref called on a closed link. */
export const CODE_CLOSED = 'ECLOSED';
/** The interface exists but its frames are not Ethernet (tun, ppp, …). */
export const CODE_NOT_ETHERNET = 'ENOTETHER';
export const CODE_UNAVAILABLE = 'EUNAVAILABLE';

interface NativeErrorShape {
  readonly code?: unknown;
  readonly syscall?: unknown;
  readonly message?: unknown;
}

/** Types an error thrown by (or reported from) the addon. */
export function toLinkError(error: unknown, ifname: string, action: string): LinkError {
  if (error instanceof LinkError) return error;
  const shape = (typeof error === 'object' && error !== null ? error : {}) as NativeErrorShape;
  const code = typeof shape.code === 'string' ? shape.code : 'EUNKNOWN';
  const syscall = typeof shape.syscall === 'string' ? shape.syscall : undefined;
  const text = typeof shape.message === 'string' ? shape.message : String(error);
  const details = { ifname, syscall, cause: error };
  if (code === 'EPERM' || code === 'EACCES') {
    return new LinkPermissionError(`link ${ifname}: ${action} ${PERMISSION_HINT} (${text})`, code, details);
  }
  if (code === 'ENODEV' || code === 'ENXIO') {
    return new LinkInterfaceError(
      `link ${ifname}: ${action}: no such network interface (${text})`,
      code,
      details,
    );
  }
  return new LinkError(`link ${ifname}: ${action}: ${text}`, code, details);
}
