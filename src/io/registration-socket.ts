// The SPS registration socket (sps-protocol.md §2.1, §3.1): UDP on one fixed port of one interface,
// bound to the interface's IPv4 address and to its IPv6 link-local address (with scope), one
// socket per family. A reply goes out from the socket the request came in on, so its source
// IP:port is exactly what the client sent to (SPC/dnspython drop replies from anywhere else, and
// macOS records the reply's source as the sleep proxy's address).
//
// Contract:
// - openRegistrationSocket() resolves once at least one family is bound; families that could not be
//   bound are listed in `failures` (typed, e.g. 'address-not-available' while an IPv6 link-local
//   address is still tentative); it rejects with a RegistrationSocketError only when none bound.
//   Port 0 picks a free port, shared by both families.
// - onDatagram(data, from, reply) runs for every datagram, whole (libuv reads up to 64 KiB, so
//   9000-byte and larger registrations arrive in one piece; the receive buffer is enlarged for bursts).
//   reply(buf) sends to `from` from the same socket. Nothing thrown by the handler, and no send or
//   socket error, escapes a socket callback: they are passed to onError as typed errors.
// - close() closes both sockets and resolves once the port is free again; idempotent.
// Not filtered here: datagrams addressed to the bound address but arriving on another interface
// (Linux's weak host model) — source policy belongs to the service.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';

export type RegistrationFamily = 'IPv4' | 'IPv6';

export interface RegistrationPeer {
  /** Without a zone suffix ("fe80::1", not "fe80::1%eth0"). */
  readonly address: string;
  readonly port: number;
  readonly family: RegistrationFamily;
  /** IPv6 link-local only: the interface index. */
  readonly scopeId?: number;
}

export type RegistrationSocketErrorCode =
  | 'no-interface' // the interface does not exist (in this network namespace)
  | 'address-not-available' // no such address on the interface (yet), or bind said EADDRNOTAVAIL
  | 'address-in-use' // EADDRINUSE: another socket holds the port on that address
  | 'permission' // EACCES: a port below 1024 without CAP_NET_BIND_SERVICE
  | 'handler' // onDatagram threw
  | 'send' // a reply could not be sent
  | 'socket'; // any other socket error

export class RegistrationSocketError extends Error {
  override name = 'RegistrationSocketError';
  constructor(
    readonly code: RegistrationSocketErrorCode,
    message: string,
    readonly family?: RegistrationFamily,
    /** The errno name, when the error came from the system. */
    readonly errno?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface RegistrationSocketOptions {
  readonly ifname: string;
  /** The advertised SRV port; 0 picks one. */
  readonly port: number;
  /** Default both. */
  readonly families?: readonly RegistrationFamily[];
  /** SO_RCVBUF in bytes (default 1 MiB; the kernel caps it at net.core.rmem_max). */
  readonly recvBufferSize?: number;
  onDatagram(data: Buffer, from: RegistrationPeer, reply: (data: Buffer) => void): void;
  onError?(error: RegistrationSocketError): void;
}

export interface RegistrationSocket {
  readonly port: number;
  /** The bound local addresses: what the client sends to and replies come from. */
  readonly local: readonly RegistrationPeer[];
  /** Families that could not be bound. */
  readonly failures: readonly RegistrationSocketError[];
  close(): Promise<void>;
}

const DEFAULT_RECV_BUFFER = 1024 * 1024;

export async function openRegistrationSocket(opts: RegistrationSocketOptions): Promise<RegistrationSocket> {
  const nics = networkInterfaces()[opts.ifname];
  if (!nics) {
    throw new RegistrationSocketError('no-interface', `registration socket: no interface ${opts.ifname}`);
  }
  const sockets: Socket[] = [];
  const local: RegistrationPeer[] = [];
  const failures: RegistrationSocketError[] = [];
  let port = opts.port;
  for (const family of opts.families ?? ['IPv4', 'IPv6']) {
    const nic =
      family === 'IPv4'
        ? nics.find((a) => a.family === 'IPv4')
        : nics.find((a) => a.family === 'IPv6' && /^fe[89ab]/i.test(a.address));
    if (!nic) {
      const what = family === 'IPv4' ? 'IPv4 address' : 'IPv6 link-local address';
      failures.push(
        new RegistrationSocketError(
          'address-not-available',
          `registration socket: ${opts.ifname} has no ${what}`,
          family,
        ),
      );
      continue;
    }
    const bindAddress = family === 'IPv6' ? `${nic.address}%${opts.ifname}` : nic.address;
    try {
      const socket = await bindSocket(family, bindAddress, port, opts);
      port = socket.address().port;
      sockets.push(socket);
      local.push({
        address: nic.address,
        port,
        family,
        ...(family === 'IPv6' ? { scopeId: nic.scopeid } : {}),
      });
    } catch (e) {
      failures.push(e as RegistrationSocketError);
    }
  }
  if (sockets.length === 0) {
    const first = failures[0];
    throw (
      first ??
      new RegistrationSocketError('address-not-available', 'registration socket: no family requested')
    );
  }
  let closing: Promise<void> | undefined;
  return {
    port,
    local,
    failures,
    close: () => (closing ??= Promise.all(sockets.map(closeSocket)).then(() => undefined)),
  };
}

function bindSocket(
  family: RegistrationFamily,
  address: string,
  port: number,
  opts: RegistrationSocketOptions,
): Promise<Socket> {
  const socket = createSocket({ type: family === 'IPv4' ? 'udp4' : 'udp6', ipv6Only: family === 'IPv6' });
  return new Promise((resolve, reject) => {
    const onBindError = (e: Error): void => {
      socket.close();
      reject(toSocketError(e, family, `bind ${family === 'IPv6' ? `[${address}]` : address}:${port}`));
    };
    socket.once('error', onBindError);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', onBindError);
      try {
        socket.setRecvBufferSize(opts.recvBufferSize ?? DEFAULT_RECV_BUFFER);
      } catch {
        // the default buffer still works; it only holds fewer datagrams in a burst
      }
      serve(socket, family, opts);
      resolve(socket);
    });
  });
}

function serve(socket: Socket, family: RegistrationFamily, opts: RegistrationSocketOptions): void {
  const report = (e: RegistrationSocketError): void => {
    try {
      opts.onError?.(e);
    } catch {
      // an error handler that throws has nowhere further to go
    }
  };
  socket.on('error', (e) => report(toSocketError(e, family, 'socket')));
  socket.on('message', (data: Buffer, rinfo: RemoteInfo) => {
    const reply = (out: Buffer): void => {
      try {
        socket.send(out, rinfo.port, rinfo.address, (e) => {
          if (e) report(toSocketError(e, family, `send to ${rinfo.address}:${rinfo.port}`, 'send'));
        });
      } catch (e) {
        // e.g. the socket was closed before the reply was ready
        report(toSocketError(e, family, `send to ${rinfo.address}:${rinfo.port}`, 'send'));
      }
    };
    try {
      opts.onDatagram(data, peerOf(rinfo), reply);
    } catch (e) {
      report(
        new RegistrationSocketError(
          'handler',
          `registration socket: handler threw: ${String(e)}`,
          family,
          undefined,
          { cause: e },
        ),
      );
    }
  });
}

function peerOf(rinfo: RemoteInfo): RegistrationPeer {
  if (rinfo.family !== 'IPv6') return { address: rinfo.address, port: rinfo.port, family: 'IPv4' };
  const [address = rinfo.address, zone] = rinfo.address.split('%');
  const scopeId = zone === undefined ? undefined : scopeIdOf(zone);
  return { address, port: rinfo.port, family: 'IPv6', ...(scopeId === undefined ? {} : { scopeId }) };
}

function scopeIdOf(zone: string): number | undefined {
  if (/^\d+$/.test(zone)) return Number(zone);
  return networkInterfaces()[zone]?.find((a) => a.family === 'IPv6' && a.scopeid)?.scopeid;
}

function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}

const CODES: Readonly<Record<string, RegistrationSocketErrorCode>> = {
  EADDRINUSE: 'address-in-use',
  EADDRNOTAVAIL: 'address-not-available',
  EACCES: 'permission',
  EPERM: 'permission',
  ENODEV: 'no-interface',
};

function toSocketError(
  e: unknown,
  family: RegistrationFamily,
  action: string,
  fallback: RegistrationSocketErrorCode = 'socket',
): RegistrationSocketError {
  const errno = (e as { code?: unknown } | null)?.code;
  const name = typeof errno === 'string' ? errno : undefined;
  const code = (name === undefined ? undefined : CODES[name]) ?? fallback;
  const text = e instanceof Error ? e.message : String(e);
  return new RegistrationSocketError(code, `registration socket: ${action}: ${text}`, family, name, {
    cause: e,
  });
}
