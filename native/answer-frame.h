// The ARP / NDP answers of the native answerer (answerer.cc), as a pure function of a received frame
// and the answer table the engine keeps in sync (src/core/answer-set.ts). It answers exactly when
// SleepProxy.handleArp / handleNdp would, with the same bytes as encodeArpFrame(arpReply(...)) and
// encodeNdpFrame(ndpReply(...)); test/integration/native-answerer.test.ts holds it to that.
//
// Every read is bounds-checked against `length`; a malformed frame gets no answer (the engine,
// which sees it too through the link capture, counts it).
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace sps {

// `count` entries of `size` bytes each, sorted bytewise for binary search; owns `entries` (malloc).
struct EntryList {
  uint8_t* entries = nullptr;
  size_t count = 0;
  size_t size = 0;

  bool Contains(const uint8_t* value) const;
};

// Plain C memory only (malloc, qsort_r): the addon links no C++ runtime and needs no newer glibc
// than the link socket did.
struct AnswerTable {
  // Ours: the source of every reply; frames from it (or ARP naming it as sender) are never answered.
  uint8_t mac[6] = {};
  // Claims that answer now (announced, owner not being woken).
  EntryList answer4, answer6;
  // Every proxied address: one used as a sender is a conflict or the owner, never answered.
  EntryList claimed4, claimed6;
  // Sleepers' host and wake MACs: their requests are owner activity, never answered.
  EntryList owners;
};

// Copies `length` bytes of `size`-byte entries into `list`, sorted; false if `length` is not a
// whole number of entries or memory ran out.
bool FillList(EntryList* list, const uint8_t* bytes, size_t length, size_t size);

// Frees the lists' memory (the table itself is the caller's).
void ClearTable(AnswerTable* table);

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
