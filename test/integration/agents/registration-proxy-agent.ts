// Agent for test/integration/registration-socket.test.ts, run in the proxy host: opens the
// registration socket on eth0 and answers like an SPS: a parseable registration gets
// encodeRegistrationReply with its ID and the granted lease; anything else gets "len <n> <sha256>"
// so the test can check that a big datagram arrived whole. Every datagram and error is an event.
import { createHash } from 'node:crypto';
import {
  openRegistrationSocket,
  type RegistrationFamily,
  type RegistrationSocket,
} from '../../../src/io/registration-socket';
import { DnsRcode } from '../../../src/wire/dns';
import { encodeRegistrationReply, grantedLease, parseRegistration } from '../../../src/wire/sps-registration';
import { emit } from '../../support/lan/agent';

const sockets = new Map<number, RegistrationSocket>();

export interface OpenReport {
  readonly port?: number;
  readonly local?: RegistrationSocket['local'];
  readonly failures: string[];
}

export async function open(
  port: number,
  families?: RegistrationFamily[],
  ifname = 'eth0',
  throwOn?: string,
): Promise<OpenReport> {
  try {
    const socket = await openRegistrationSocket({
      ifname,
      port,
      ...(families ? { families } : {}),
      onDatagram(data, from, reply) {
        emit('datagram', { length: data.length, from });
        if (throwOn !== undefined && data.toString() === throwOn) throw new Error('handler exploded');
        const parsed = parseRegistration(data);
        if (parsed.ok) {
          const { id, lease } = parsed.value;
          reply(encodeRegistrationReply({ id, rcode: DnsRcode.NOERROR, lease: grantedLease(lease) }));
        } else {
          reply(Buffer.from(`len ${data.length} ${createHash('sha256').update(data).digest('hex')}`));
        }
      },
      onError: (e) => emit('socket-error', e.code, e.message),
    });
    sockets.set(socket.port, socket);
    return { port: socket.port, local: socket.local, failures: socket.failures.map((f) => f.code) };
  } catch (e) {
    return { failures: [(e as { code?: string }).code ?? String(e)] };
  }
}

export async function close(port: number): Promise<void> {
  await sockets.get(port)?.close();
  sockets.delete(port);
}

export async function shutdown(): Promise<void> {
  await Promise.all([...sockets.values()].map((s) => s.close()));
}
