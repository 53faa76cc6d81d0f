// Opening AF_PACKET sockets and attaching classic BPF programs (shared by link.cc and answerer.cc).
#pragma once
#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

namespace sps {

struct InterfaceInfo {
  int index;
  int hardwareType;
  int mtu;
  short flags;
  uint8_t mac[6];
};

// Plain ioctls on any socket: works without privilege and sees the caller's network namespace
// (unlike /sys/class/net, which shows whatever namespace sysfs was mounted from). Returns 0 or errno.
int LookupInterface(int fd, const char* name, InterfaceInfo* out);

// Returns 0 or errno.
int AttachFilter(int fd, struct sock_filter* code, unsigned short count);

// Attaches a program given as bytes (8 per instruction, any alignment): 0, EINVAL for a bad size, or errno.
int AttachFilterBytes(int fd, const uint8_t* code, size_t length);

// A raw packet socket bound to `name` for `protocol`, carrying a drop-all filter until the caller
// attaches one, with its receive queue emptied. Returns the fd, or -errno with *failedCall naming the call.
int OpenPacketSocket(const char* name, uint16_t protocol, bool wantOutgoing, InterfaceInfo* info,
                     bool* ignoresOutgoing, const char** failedCall);

}  // namespace sps
