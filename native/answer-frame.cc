#include "answer-frame.h"

#include <stdlib.h>
#include <string.h>

namespace sps {

namespace {

// Ethernet II (untagged: the kernel strips the VLAN tag of the device it captures on, and the link
// filters match at these offsets too).
constexpr size_t kEthDst = 0;
constexpr size_t kEthSrc = 6;
constexpr size_t kEthType = 12;
constexpr size_t kEthHeader = 14;
constexpr uint16_t kEtherTypeArp = 0x0806;
constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeIpv6 = 0x86dd;

// ARP for Ethernet/IPv4 (RFC 826), offsets in the ARP message.
constexpr size_t kArpLength = 28;
constexpr size_t kArpOp = 6;
constexpr size_t kArpSenderMac = 8;
constexpr size_t kArpSenderIp = 14;
constexpr size_t kArpTargetMac = 18;
constexpr size_t kArpTargetIp = 24;
constexpr uint16_t kArpRequest = 1;
constexpr uint16_t kArpReply = 2;

// IPv6 (RFC 8200) and ICMPv6 NDP (RFC 4861 §4.3, §4.4, §4.6).
constexpr size_t kIpv6Header = 40;
constexpr size_t kIpv6PayloadLength = 4;
constexpr size_t kIpv6NextHeader = 6;
constexpr size_t kIpv6HopLimit = 7;
constexpr size_t kIpv6Src = 8;
constexpr size_t kIpv6Dst = 24;
constexpr uint8_t kProtocolIcmpv6 = 58;
constexpr uint8_t kNdpHopLimit = 255;
constexpr size_t kIcmpv6Header = 4;
constexpr size_t kNdpBody = 20;  // flags/reserved (4) + target (16)
constexpr size_t kNdpTarget = kIcmpv6Header + 4;
constexpr size_t kNdpOptions = kIcmpv6Header + kNdpBody;
constexpr uint8_t kNeighborSolicitation = 135;
constexpr uint8_t kNeighborAdvertisement = 136;
constexpr uint8_t kTargetLinkLayerOption = 2;
constexpr uint8_t kFlagSolicited = 0x40;
constexpr uint8_t kFlagOverride = 0x20;
constexpr size_t kNdpOptionUnit = 8;

const uint8_t kAllNodesMac[6] = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01};
const uint8_t kAllNodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
const uint8_t kUnspecified[16] = {};

uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

void PutBe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

int CompareEntries(const void* a, const void* b, void* size) {
  return memcmp(a, b, *static_cast<size_t*>(size));
}

// RFC 1071 one's-complement sum of 16-bit big-endian words, an odd tail padded with zero.
uint32_t Sum(const uint8_t* p, size_t length, uint32_t sum) {
  size_t i = 0;
  for (; i + 1 < length; i += 2) sum += Be16(p + i);
  if (i < length) sum += static_cast<uint32_t>(p[i]) << 8;
  return sum;
}

uint16_t Finish(uint32_t sum) {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

// The ICMPv6 checksum of `message` (checksum field included) over the pseudo-header of RFC 8200 §8.1.
uint16_t Icmpv6Checksum(const uint8_t* src, const uint8_t* dst, const uint8_t* message, size_t length) {
  uint32_t sum = Sum(src, 16, 0);
  sum = Sum(dst, 16, sum);
  sum += static_cast<uint32_t>(length >> 16) + static_cast<uint32_t>(length & 0xffff) + kProtocolIcmpv6;
  return Finish(Sum(message, length, sum));
}

Answer ArpAnswer(const AnswerTable& table, const uint8_t* frame, size_t length, uint8_t* out, size_t outSize) {
  Answer none = {AnswerKind::kNone, 0};
  if (length < kEthHeader + kArpLength || outSize < kArpReplyLength) return none;
  const uint8_t* arp = frame + kEthHeader;
  // Ethernet / IPv4 only, as parseArp.
  if (Be16(arp) != 1 || Be16(arp + 2) != kEtherTypeIpv4 || arp[4] != 6 || arp[5] != 4) return none;
  const uint8_t* senderMac = arp + kArpSenderMac;
  const uint8_t* senderIp = arp + kArpSenderIp;
  const uint8_t* targetIp = arp + kArpTargetIp;
  // handleArp: our own requests; a proxied sender address (owner or conflict: the engine's business);
  // anything but a plain request; the owner asking (restarts probing); a claim not answering.
  if (memcmp(senderMac, table.mac, 6) == 0 || table.claimed4.Contains(senderIp)) return none;
  if (Be16(arp + kArpOp) != kArpRequest || memcmp(senderIp, targetIp, 4) == 0) return none;
  if (table.owners.Contains(senderMac) || !table.answer4.Contains(targetIp)) return none;

  // encodeArpFrame(arpReply(ourMac, request), request.senderMac)
  memcpy(out + kEthDst, senderMac, 6);
  memcpy(out + kEthSrc, table.mac, 6);
  PutBe16(out + kEthType, kEtherTypeArp);
  uint8_t* reply = out + kEthHeader;
  PutBe16(reply, 1);
  PutBe16(reply + 2, kEtherTypeIpv4);
  reply[4] = 6;
  reply[5] = 4;
  PutBe16(reply + kArpOp, kArpReply);
  memcpy(reply + kArpSenderMac, table.mac, 6);
  memcpy(reply + kArpSenderIp, targetIp, 4);
  memcpy(reply + kArpTargetMac, senderMac, 6);
  memcpy(reply + kArpTargetIp, senderIp, 4);
  return {AnswerKind::kArp, kArpReplyLength};
}

// parseNdp's checks on a Neighbour Solicitation (`icmp` holds exactly the ICMPv6 message).
bool ValidSolicitation(const uint8_t* icmp, size_t length) {
  if (length < kNdpOptions || icmp[0] != kNeighborSolicitation || icmp[1] != 0) return false;
  if (icmp[kNdpTarget] == 0xff) return false;  // multicast target
  for (size_t at = kNdpOptions; at < length;) {
    if (length - at < 2) return false;
    size_t optionLength = icmp[at + 1] * kNdpOptionUnit;
    if (optionLength == 0 || optionLength > length - at) return false;
    at += optionLength;
  }
  return true;
}

Answer NdpAnswer(const AnswerTable& table, const uint8_t* frame, size_t length, bool checksumPartial, uint8_t* out,
                 size_t outSize) {
  Answer none = {AnswerKind::kNone, 0};
  if (length < kEthHeader + kIpv6Header || outSize < kNeighborAdvertisementLength) return none;
  const uint8_t* ip = frame + kEthHeader;
  size_t payload = Be16(ip + kIpv6PayloadLength);
  // Version 6, no extension header, hop limit 255 (RFC 4861 §7.1.1; the link filters require it too).
  if ((ip[0] >> 4) != 6 || kIpv6Header + payload > length - kEthHeader) return none;
  if (ip[kIpv6NextHeader] != kProtocolIcmpv6 || ip[kIpv6HopLimit] != kNdpHopLimit) return none;
  const uint8_t* icmp = ip + kIpv6Header;
  if (payload < kIcmpv6Header) return none;
  if (!checksumPartial && Icmpv6Checksum(ip + kIpv6Src, ip + kIpv6Dst, icmp, payload) != 0) return none;
  if (!ValidSolicitation(icmp, payload)) return none;
  const uint8_t* srcMac = frame + kEthSrc;
  const uint8_t* src = ip + kIpv6Src;
  const uint8_t* target = icmp + kNdpTarget;
  // handleNdp: a proxied source address (conflict pass), the owner asking, a claim not answering.
  bool dad = memcmp(src, kUnspecified, 16) == 0;
  if (!dad && table.claimed6.Contains(src)) return none;
  if (table.owners.Contains(srcMac) || !table.answer6.Contains(target)) return none;

  // encodeNdpFrame(ndpReply(ourMac, { srcMac, src, target })): a DAD probe is defended to all nodes.
  // The reply is built in `out`, which never overlaps `frame`.
  memcpy(out + kEthDst, dad ? kAllNodesMac : srcMac, 6);
  memcpy(out + kEthSrc, table.mac, 6);
  PutBe16(out + kEthType, kEtherTypeIpv6);
  uint8_t* reply = out + kEthHeader;
  constexpr size_t kNaLength = kNdpOptions + kNdpOptionUnit;
  memset(reply, 0, kIpv6Header + kNaLength);
  reply[0] = 0x60;
  PutBe16(reply + kIpv6PayloadLength, kNaLength);
  reply[kIpv6NextHeader] = kProtocolIcmpv6;
  reply[kIpv6HopLimit] = kNdpHopLimit;
  memcpy(reply + kIpv6Src, target, 16);
  memcpy(reply + kIpv6Dst, dad ? kAllNodes : src, 16);
  uint8_t* na = reply + kIpv6Header;
  na[0] = kNeighborAdvertisement;
  na[kIcmpv6Header] = dad ? kFlagOverride : kFlagSolicited | kFlagOverride;
  memcpy(na + kNdpTarget, target, 16);
  na[kNdpOptions] = kTargetLinkLayerOption;
  na[kNdpOptions + 1] = 1;
  memcpy(na + kNdpOptions + 2, table.mac, 6);
  PutBe16(na + 2, Icmpv6Checksum(reply + kIpv6Src, reply + kIpv6Dst, na, kNaLength));
  return {AnswerKind::kNdp, kNeighborAdvertisementLength};
}

}  // namespace

bool EntryList::Contains(const uint8_t* value) const {
  size_t low = 0, high = count;
  while (low < high) {
    size_t middle = low + (high - low) / 2;
    int order = memcmp(entries + middle * size, value, size);
    if (order == 0) return true;
    if (order < 0) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return false;
}

bool FillList(EntryList* list, const uint8_t* bytes, size_t length, size_t size) {
  if (size == 0 || length % size != 0) return false;
  list->size = size;
  list->count = length / size;
  if (length == 0) return true;
  list->entries = static_cast<uint8_t*>(malloc(length));
  if (list->entries == nullptr) {
    list->count = 0;
    return false;
  }
  memcpy(list->entries, bytes, length);
  qsort_r(list->entries, list->count, size, CompareEntries, &size);
  return true;
}

void ClearTable(AnswerTable* table) {
  EntryList* lists[] = {&table->answer4, &table->answer6, &table->claimed4, &table->claimed6, &table->owners};
  for (EntryList* list : lists) {
    free(list->entries);
    list->entries = nullptr;
    list->count = 0;
  }
}

Answer BuildAnswer(const AnswerTable& table, const uint8_t* frame, size_t length, bool checksumPartial,
                   uint8_t* out, size_t outSize) {
  Answer none = {AnswerKind::kNone, 0};
  if (frame == nullptr || out == nullptr || length < kEthHeader) return none;
  if (memcmp(frame + kEthSrc, table.mac, 6) == 0) return none;
  switch (Be16(frame + kEthType)) {
    case kEtherTypeArp:
      return ArpAnswer(table, frame, length, out, outSize);
    case kEtherTypeIpv6:
      return NdpAnswer(table, frame, length, checksumPartial, out, outSize);
    default:
      return none;
  }
}

}  // namespace sps
