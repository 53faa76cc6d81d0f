// The test LAN harness in one import. A test file:
//
//   import { TestLan, capture, lanUnavailableReason } from '../support/lan';
//   describe('proxy answers ARP', { skip: lanUnavailableReason() }, () => {
//     let lan: TestLan;
//     before(async () => (lan = await TestLan.create()));     // proxy .2, sleeper .10, waker .20
//     after(() => lan.destroy());
//     test('...', async () => {
//       const proxy = await lan.host('proxy').runNode<typeof import('./agents/x')>(AGENT_JS);
//       await lan.host('sleeper').sleep();
//       const cap = await capture(lan.bridge, 'arp');
//       const r = await lan.host('waker').exec('arping', ['-c', '1', '-I', 'eth0', '10.77.0.10']);
//       const frames = parsePcap(await cap.stop()).records;
//     });
//   });
//
// Agent modules (code run inside a host by runNode) import from './agent' instead; see there.
export { TestLan, LanBridge, type LanOptions } from './lan';
export { LanHost, type WakeOptions } from './host';
export { NsEndpoint } from './endpoint';
export { NodeChild, type AgentModule, type ChildExit } from './node-child';
export { capture, captureUnavailableReason, type Capture, type CaptureOptions } from './capture';
export { lanUnavailableReason, toolUnavailableReason, probeLan } from './availability';
export { waitForOutput, which, type ExecOptions, type ExecResult } from './exec';
export { readRuns, reapStaleRuns, runLeftovers, runsDir, type RunRecord } from './runs';
export { DEFAULT_HOSTS, eui64LinkLocal, type HostSpec, type HostAddressing } from './addressing';
export type { LanMode } from './netns';
export { TestSegments, Segment, type SegmentSpec, type SegmentsOptions } from './segments';
