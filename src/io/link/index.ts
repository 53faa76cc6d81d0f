// The link layer's public surface: Ethernet frames on one interface, with kernel BPF filters.
export * from './answerer';
export * from './bpf';
export * from './bpf-filter';
export * from './errors';
export {
  ETH_P_ALL,
  PACKET_BROADCAST,
  PACKET_HOST,
  PACKET_MULTICAST,
  PACKET_OTHERHOST,
  PACKET_OUTGOING,
  PACKET_TYPE_NAMES,
  interfaceInfo,
  openLink,
  LinkSocket,
  type LinkEvents,
  type LinkFrameInfo,
  type LinkInterface,
  type LinkOptions,
  type LinkStats,
} from './link-socket';
