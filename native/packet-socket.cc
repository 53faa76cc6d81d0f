#include "packet-socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23  // Linux 4.20
#endif

namespace sps {

int LookupInterface(int fd, const char* name, InterfaceInfo* out) {
  struct ifreq req;
  memset(&req, 0, sizeof req);
  strncpy(req.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFINDEX, &req) < 0) return errno;
  out->index = req.ifr_ifindex;
  if (ioctl(fd, SIOCGIFHWADDR, &req) < 0) return errno;
  out->hardwareType = req.ifr_hwaddr.sa_family;
  memcpy(out->mac, req.ifr_hwaddr.sa_data, 6);
  if (ioctl(fd, SIOCGIFMTU, &req) < 0) return errno;
  out->mtu = req.ifr_mtu;
  if (ioctl(fd, SIOCGIFFLAGS, &req) < 0) return errno;
  out->flags = req.ifr_flags;
  return 0;
}

int AttachFilter(int fd, struct sock_filter* code, unsigned short count) {
  struct sock_fprog program = {count, code};
  return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) < 0 ? errno : 0;
}

// Everything before bind() runs with no protocol registered, so the socket queues nothing until
// bind(); by then the drop-all filter is attached, so it queues nothing until setFilter().
int OpenPacketSocket(const char* name, uint16_t protocol, bool wantOutgoing, InterfaceInfo* info,
                     bool* ignoresOutgoing, const char** failedCall) {
  *failedCall = "socket";
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int err = LookupInterface(fd, name, info);
  *failedCall = "ioctl";
  struct sock_filter dropAll = BPF_STMT(BPF_RET | BPF_K, 0);
  if (err == 0) {
    *failedCall = "setsockopt(SO_ATTACH_FILTER)";
    err = AttachFilter(fd, &dropAll, 1);
  }
  if (err == 0) {
    // Both optional: without IGNORE_OUTGOING the reader skips PACKET_OUTGOING itself; without
    // AUXDATA (some emulators, e.g. qemu-user) frames lack original length, VLAN and checksum status.
    int one = 1;
    *ignoresOutgoing =
        !wantOutgoing && setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) == 0;
    setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof one);
  }
  if (err == 0) {
    struct sockaddr_ll address;
    memset(&address, 0, sizeof address);
    address.sll_family = AF_PACKET;
    address.sll_protocol = htons(protocol);
    address.sll_ifindex = info->index;
    *failedCall = "bind";
    if (bind(fd, reinterpret_cast<struct sockaddr*>(&address), sizeof address) < 0) err = errno;
  }
  if (err != 0) {
    close(fd);
    return -err;
  }
  char scratch[64];
  for (int i = 0; i < 4096 && recv(fd, scratch, sizeof scratch, MSG_DONTWAIT | MSG_TRUNC) >= 0; i++) {
  }
  return fd;
}


int AttachFilterBytes(int fd, const uint8_t* code, size_t length) {
  size_t count = length / sizeof(struct sock_filter);
  if (length % sizeof(struct sock_filter) != 0 || count == 0 || count > BPF_MAXINSNS) return EINVAL;
  // Copy to an aligned array: the bytes may sit at any offset of a JS ArrayBuffer.
  struct sock_filter* program = static_cast<struct sock_filter*>(malloc(length));
  if (program == nullptr) return ENOMEM;
  memcpy(program, code, length);
  int err = AttachFilter(fd, program, static_cast<unsigned short>(count));
  free(program);
  return err;
}

}  // namespace sps
