// The ARP / NDP answers of the native answerer (answerer.cc), as a pure function of a received frame
// and the answer table the engine keeps in sync (src/core/answer-set.ts). It answers exactly when
// SleepProxy.handleArp / handleNdp would, with the same bytes as encodeArpFrame(arpReply(...)) and
// encodeNdpFrame(ndpReply(...)); test/integration/native-answerer.test.ts holds it to that.
//
// Every read is bounds-checked against `length`; a malformed frame gets no answer (the engine,
// which sees it too through the link capture, counts it).
#pragma once
#include <array>
#include <stddef.h>
#include <stdint.h>
#include <vector>

namespace sps {

using Mac = std::array<uint8_t, 6>;
using Ipv4 = std::array<uint8_t, 4>;
using Ipv6 = std::array<uint8_t, 16>;

// Every list sorted (SortTable) for binary search.
struct AnswerTable {
  // Ours: the source of every reply; frames from it (or ARP naming it as sender) are never answered.
  Mac mac{};
  // Claims that answer now (announced, owner not being woken).
  std::vector<Ipv4> answer4;
  std::vector<Ipv6> answer6;
  // Every proxied address: one used as a sender is a conflict or the owner, never answered.
  std::vector<Ipv4> claimed4;
  std::vector<Ipv6> claimed6;
  // Sleepers' host and wake MACs: their requests are owner activity, never answered.
  std::vector<Mac> owners;
};

void SortTable(AnswerTable* table);

constexpr size_t kArpReplyLength = 42;
constexpr size_t kNeighborAdvertisementLength = 86;
constexpr size_t kMaxAnswerLength = kNeighborAdvertisementLength;

enum class AnswerKind { kNone, kArp, kNdp };

struct Answer {
  AnswerKind kind;
  // Bytes written to `out`; 0 with kNone.
  size_t length;
};

// The reply to `frame` (received on the interface, untagged layout), written to `out`, which holds
// at least kMaxAnswerLength bytes. `checksumPartial`: the kernel flagged the frame's checksum as not
// yet computed (TP_STATUS_CSUMNOTREADY), so it is not verified (as the engine does).
Answer BuildAnswer(const AnswerTable& table, const uint8_t* frame, size_t length, bool checksumPartial,
                   uint8_t* out, size_t outSize);

}  // namespace sps
