// Agent for the SIGKILL-during-a-burst test (test/integration/sleep-proxy-kill.test.ts), run in the
// client host: sends each registration from its own source address (the address it registers, as a
// sleeper does), `inFlight` at a time, retransmitting after 1 s (twice, as a client would), and emits
// ('answered', hostMac) the moment a NOERROR reply arrives, so the test knows what was acknowledged
// when it kills the proxy. Resolves once every registration was answered or given up.
import { createSocket } from 'node:dgram';
import { parseRegistrationReply } from '../../../src/wire/sps-registration';
import { emit } from '../../support/lan/agent';

export interface BurstItem {
  readonly source: string;
  readonly hostMac: string;
  readonly payload: Buffer;
}

function registerOnce(item: BurstItem, proxy: string, port: number): Promise<boolean> {
  const socket = createSocket('udp4');
  return new Promise<boolean>((resolve) => {
    let tries = 0;
    let timer: NodeJS.Timeout | undefined;
    const send = (): void => {
      if (tries++ === 3) return resolve(false);
      socket.send(item.payload, port, proxy);
      timer = setTimeout(send, 1000);
    };
    socket.on('error', () => undefined); // refused while the proxy is down: keep retrying
    socket.on('message', (data) => {
      const reply = parseRegistrationReply(data);
      if (!reply.ok || reply.value.rcode !== 0) return;
      clearTimeout(timer);
      emit('answered', item.hostMac);
      resolve(true);
    });
    socket.bind({ address: item.source, port: 0 }, send);
  }).finally(() => socket.close());
}

export async function burst(
  items: readonly BurstItem[],
  proxy: string,
  port: number,
  inFlight: number,
): Promise<number> {
  let next = 0;
  let answered = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) if (await registerOnce(items[next++], proxy, port)) answered++;
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return answered;
}
