// Agent (run inside a LAN host): sends magic packets with src/io/wake-sender, as the wake on lan node does.
import { sendWake, type WakeRequest, type WakeResult } from '../../../src/io/wake-sender';

export function wake(request: WakeRequest): Promise<WakeResult> {
  return sendWake(request);
}
