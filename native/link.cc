// Ethernet frames for Node: a Linux AF_PACKET socket bound to one interface, written against the
// plain Node-API C interface (node_api.h, NAPI_VERSION 8), so one binary serves every Node major.
//
// Contract (the TypeScript wrapper in src/io/link is the only caller):
// - open(ifname, protocol, maxFrame, onFrame[, outgoing]) -> { handle, ifindex, mac, hardwareType,
//   ignoresOutgoing }. The socket carries a drop-all filter from before bind() until setFilter(), so
//   no unfiltered frame is ever queued; frames this host sends (PACKET_OUTGOING) are not delivered
//   unless `outgoing` is true (a broadcast relay must see broadcasts sent by local processes; the
//   socket's own sends are still never looped back to it by the kernel).
// - onFrame(frame, packetType, originalLength, status, vlanTci) per received frame, where frame is
//   a fresh Buffer the kernel wrote into directly (sized from SIOCINQ, so exactly the frame), or
//   onFrame(error) once when the socket reports an error (ENETDOWN when the interface goes away).
// - Errors from calls are thrown as Error objects with `code` (errno name) and `syscall`; nothing
//   here aborts the process. Exceptions thrown by onFrame become Node uncaught exceptions, as for
//   any event listener.
// - close(handle) stops polling and closes the fd at once; idempotent; no callback after it.
#include <node_api.h>
#include <uv.h>

#include "answerer.h"
#include "napi-util.h"
#include "packet-socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using namespace sps;

// Frames handled per readable event before yielding to the rest of the event loop; the poll is
// level-triggered, so what is left is picked up on the next turn.
constexpr int kFramesPerWakeup = 64;

struct Link {
  napi_env env;
  int fd;
  int ifindex;
  uint32_t maxFrame;
  bool closing;
  // Freed when both the JS handle has been finalized and libuv has finished closing the poll.
  int owners;
  uv_poll_t poll;
  napi_ref callback;
  napi_ref resource;
  napi_async_context asyncContext;
  // PACKET_STATISTICS resets on every read, so the totals are kept here.
  double kernelPackets, kernelDrops;
  double delivered, truncated, outgoingSkipped;
  // open(..., outgoing = true): frames this host sends (PACKET_OUTGOING) are delivered too.
  bool deliverOutgoing;
};

// ---- argument helpers ---------------------------------------------------------------------------

Link* GetLink(napi_env env, napi_value value) {
  void* data = nullptr;
  if (napi_get_value_external(env, value, &data) != napi_ok || data == nullptr) {
    ThrowArg(env, "not a link handle");
    return nullptr;
  }
  return static_cast<Link*>(data);
}

Link* GetOpenLink(napi_env env, napi_value value) {
  Link* link = GetLink(env, value);
  if (link != nullptr && link->closing) {
    Throw(env, EBADF, "link", "the link is closed");
    return nullptr;
  }
  return link;
}

// ---- interface lookup -------------------------------------------------------------------------

napi_value InterfaceInfoObject(napi_env env, const InterfaceInfo& info) {
  napi_value object, mac;
  napi_create_object(env, &object);
  SetNumber(env, object, "ifindex", info.index);
  SetNumber(env, object, "hardwareType", info.hardwareType);
  SetNumber(env, object, "mtu", info.mtu);
  SetNumber(env, object, "flags", static_cast<uint16_t>(info.flags));
  napi_create_buffer_copy(env, 6, info.mac, nullptr, &mac);
  napi_set_named_property(env, object, "mac", mac);
  return object;
}

napi_value InterfaceInfoJs(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[1];
  char name[IFNAMSIZ + 1];
  if (!GetArgs(env, cbinfo, 1, argv) || !GetString(env, argv[0], name, sizeof name)) return nullptr;
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Throw(env, errno, "socket");
  InterfaceInfo info;
  int err = LookupInterface(fd, name, &info);
  close(fd);
  if (err != 0) return Throw(env, err, "ioctl", name);
  return InterfaceInfoObject(env, info);
}

// ---- lifecycle ----------------------------------------------------------------------------------

void Release(Link* link) {
  if (--link->owners == 0) free(link);
}

void OnPollClosed(uv_handle_t* handle) { Release(static_cast<Link*>(handle->data)); }

void CleanupHook(void* arg);

void CloseLink(Link* link, bool fromCleanupHook) {
  if (link->closing) return;
  link->closing = true;
  uv_poll_stop(&link->poll);
  // Safe once the poll is stopped (libuv has dropped the fd from epoll); closing here rather than
  // in the close callback makes the release observable as soon as close() returns.
  close(link->fd);
  link->fd = -1;
  napi_env env = link->env;
  if (!fromCleanupHook) napi_remove_env_cleanup_hook(env, CleanupHook, link);
  napi_delete_reference(env, link->callback);
  napi_delete_reference(env, link->resource);
  napi_async_destroy(env, link->asyncContext);
  uv_close(reinterpret_cast<uv_handle_t*>(&link->poll), OnPollClosed);
}

// Environment teardown (process exit, worker termination) with the link still open.
void CleanupHook(void* arg) { CloseLink(static_cast<Link*>(arg), true); }

void FinalizeHandle(napi_env /*env*/, void* data, void* /*hint*/) {
  Link* link = static_cast<Link*>(data);
  // The callback reference keeps the handle reachable while the link is open, so an open link is
  // finalized only at environment teardown, after CleanupHook has closed it.
  if (!link->closing) CloseLink(link, false);
  Release(link);
}

// ---- receive ------------------------------------------------------------------------------------

enum ReadResult { kEmpty, kFrame, kStop };

// Calls onFrame; returns false (with the exception taken into *thrown) when it threw.
bool Deliver(napi_env env, napi_value callback, size_t argc, napi_value* argv, napi_value* thrown) {
  napi_value global, result;
  napi_get_global(env, &global);
  if (napi_call_function(env, global, callback, argc, argv, &result) == napi_ok) return true;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) napi_get_and_clear_last_exception(env, thrown);
  return false;
}

ReadResult ReportSocketError(Link* link, napi_value callback, int err, const char* syscall, napi_value* thrown) {
  napi_value error = MakeError(link->env, err, syscall, nullptr);
  Deliver(link->env, callback, 1, &error, thrown);
  return kStop;
}

ReadResult ReadOne(Link* link, napi_value callback, napi_value* thrown) {
  napi_env env = link->env;
  int queued = 0;
  if (ioctl(link->fd, SIOCINQ, &queued) < 0) return ReportSocketError(link, callback, errno, "ioctl", thrown);
  if (queued <= 0) return kEmpty;
  size_t size = static_cast<size_t>(queued) < link->maxFrame ? static_cast<size_t>(queued) : link->maxFrame;

  void* data = nullptr;
  napi_value frame;
  if (napi_create_buffer(env, size, &data, &frame) != napi_ok) return kStop;

  struct sockaddr_ll from;
  union {
    struct cmsghdr align;
    char bytes[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
  } control;
  struct iovec iov = {data, size};
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_name = &from;
  msg.msg_namelen = sizeof from;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.bytes;
  msg.msg_controllen = sizeof control.bytes;

  ssize_t length;
  do {
    length = recvmsg(link->fd, &msg, MSG_TRUNC | MSG_DONTWAIT);
  } while (length < 0 && errno == EINTR);
  if (length < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return kEmpty;
    return ReportSocketError(link, callback, errno, "recvmsg", thrown);
  }
  if (from.sll_pkttype == PACKET_OUTGOING && !link->deliverOutgoing) {
    link->outgoingSkipped++;
    return kFrame;
  }

  uint32_t originalLength = static_cast<uint32_t>(length);
  uint32_t status = 0;
  int32_t vlan = -1;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA) continue;
    struct tpacket_auxdata aux;
    memcpy(&aux, CMSG_DATA(c), sizeof aux);
    originalLength = aux.tp_len;  // before any snap length the filter applied
    status = aux.tp_status;
    if (aux.tp_status & TP_STATUS_VLAN_VALID) vlan = aux.tp_vlan_tci;
  }
  size_t received = static_cast<size_t>(length) < size ? static_cast<size_t>(length) : size;
  if (received < size) {
    // Only if the queued frame shrank between SIOCINQ and recvmsg, which one reader cannot cause.
    napi_create_buffer_copy(env, received, data, nullptr, &frame);
  }
  if (static_cast<size_t>(length) > size || originalLength > received) link->truncated++;
  link->delivered++;

  napi_value argv[5];
  argv[0] = frame;
  napi_create_uint32(env, from.sll_pkttype, &argv[1]);
  napi_create_uint32(env, originalLength, &argv[2]);
  napi_create_uint32(env, status, &argv[3]);
  napi_create_int32(env, vlan, &argv[4]);
  return Deliver(env, callback, 5, argv, thrown) ? kFrame : kStop;
}

// A wakeup with nothing queued means the socket holds an error (ENETDOWN when the interface
// goes down or disappears); reading SO_ERROR clears it, so it is reported once.
ReadResult CheckSocketError(Link* link, napi_value callback, napi_value* thrown) {
  int err = 0;
  socklen_t length = sizeof err;
  if (getsockopt(link->fd, SOL_SOCKET, SO_ERROR, &err, &length) < 0) err = errno;
  if (err == 0) return kEmpty;
  return ReportSocketError(link, callback, err, "recvmsg", thrown);
}

void OnPoll(uv_poll_t* handle, int status, int /*events*/) {
  Link* link = static_cast<Link*>(handle->data);
  if (link->closing) return;
  napi_env env = link->env;
  napi_handle_scope outer;
  napi_open_handle_scope(env, &outer);
  napi_value resource, callback, thrown = nullptr;
  napi_get_reference_value(env, link->resource, &resource);
  napi_get_reference_value(env, link->callback, &callback);
  // One callback scope per wakeup: process.nextTick and promise jobs run once after the batch.
  napi_callback_scope scope;
  napi_open_callback_scope(env, resource, link->asyncContext, &scope);
  if (status < 0) {
    // libuv turns POLLERR into UV_EBADF and stops the handle. On a packet socket POLLERR means a
    // pending socket error (ENETDOWN when the interface goes down); report that one and poll on,
    // since the kernel resumes delivery when the interface comes back up.
    int err = 0;
    socklen_t length = sizeof err;
    if (getsockopt(link->fd, SOL_SOCKET, SO_ERROR, &err, &length) == 0 && err != 0) {
      ReportSocketError(link, callback, err, "recvmsg", &thrown);
      if (!link->closing) uv_poll_start(&link->poll, UV_READABLE, OnPoll);
    } else {
      ReportSocketError(link, callback, -status, "poll", &thrown);
      if (!link->closing) uv_poll_stop(&link->poll);
    }
  } else {
    int frames = 0;
    while (frames < kFramesPerWakeup && !link->closing) {
      napi_handle_scope inner;
      napi_open_handle_scope(env, &inner);
      ReadResult result = ReadOne(link, callback, &thrown);
      if (result == kEmpty && frames == 0) result = CheckSocketError(link, callback, &thrown);
      napi_close_handle_scope(env, inner);
      if (result != kFrame) break;
      frames++;
    }
  }
  napi_close_callback_scope(env, scope);
  if (thrown != nullptr) napi_fatal_exception(env, thrown);
  napi_close_handle_scope(env, outer);
}

// ---- calls --------------------------------------------------------------------------------------

napi_value OpenJs(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[5];
  char name[IFNAMSIZ + 1];
  uint32_t protocol = 0, maxFrame = 0;
  napi_valuetype callbackType;
  bool wantOutgoing = false;
  size_t argc = 5;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr) != napi_ok || argc < 4) {
    return ThrowArg(env, "missing arguments");
  }
  if (!GetString(env, argv[0], name, sizeof name)) return nullptr;
  if (argc > 4 && napi_get_value_bool(env, argv[4], &wantOutgoing) != napi_ok) {
    return ThrowArg(env, "outgoing must be a boolean");
  }
  if (napi_get_value_uint32(env, argv[1], &protocol) != napi_ok || protocol > 0xffff) {
    return ThrowArg(env, "protocol must be a 16-bit EtherType");
  }
  if (napi_get_value_uint32(env, argv[2], &maxFrame) != napi_ok || maxFrame < 64) {
    return ThrowArg(env, "maxFrame must be at least 64");
  }
  napi_typeof(env, argv[3], &callbackType);
  if (callbackType != napi_function) return ThrowArg(env, "onFrame must be a function");

  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return ThrowArg(env, "no event loop");
  InterfaceInfo info;
  bool ignoresOutgoing = false;
  const char* failedCall = nullptr;
  int fd = sps::OpenPacketSocket(name, static_cast<uint16_t>(protocol), wantOutgoing, &info, &ignoresOutgoing, &failedCall);
  if (fd < 0) return Throw(env, -fd, failedCall, name);

  Link* link = static_cast<Link*>(calloc(1, sizeof(Link)));
  if (link == nullptr) {
    close(fd);
    return Throw(env, ENOMEM, "open");
  }
  link->env = env;
  link->fd = fd;
  link->ifindex = info.index;
  link->maxFrame = maxFrame;
  link->deliverOutgoing = wantOutgoing;
  link->owners = 2;
  link->poll.data = link;
  int err = uv_poll_init(loop, &link->poll, fd);
  if (err == 0) err = uv_poll_start(&link->poll, UV_READABLE, OnPoll);
  if (err != 0) {
    close(fd);
    free(link);
    return Throw(env, -err, "uv_poll_start");
  }
  napi_value resource, resourceName, handle;
  napi_create_object(env, &resource);
  napi_create_string_utf8(env, "SleepProxyLinkSocket", NAPI_AUTO_LENGTH, &resourceName);
  napi_async_init(env, resource, resourceName, &link->asyncContext);
  napi_create_reference(env, resource, 1, &link->resource);
  napi_create_reference(env, argv[3], 1, &link->callback);
  napi_add_env_cleanup_hook(env, CleanupHook, link);
  napi_create_external(env, link, FinalizeHandle, nullptr, &handle);

  napi_value result, ignores;
  result = InterfaceInfoObject(env, info);
  napi_set_named_property(env, result, "handle", handle);
  napi_get_boolean(env, ignoresOutgoing, &ignores);
  napi_set_named_property(env, result, "ignoresOutgoing", ignores);
  return result;
}

// The (handle, Buffer) arguments of setFilter and send.
Link* GetLinkAndBytes(napi_env env, napi_callback_info cbinfo, uint8_t** data, size_t* length) {
  napi_value argv[2];
  if (!GetArgs(env, cbinfo, 2, argv)) return nullptr;
  Link* link = GetOpenLink(env, argv[0]);
  if (link == nullptr || !GetBytes(env, argv[1], data, length)) return nullptr;
  return link;
}

napi_value SetFilterJs(napi_env env, napi_callback_info cbinfo) {
  uint8_t* code = nullptr;
  size_t length = 0;
  Link* link = GetLinkAndBytes(env, cbinfo, &code, &length);
  if (link == nullptr) return nullptr;
  int err = sps::AttachFilterBytes(link->fd, code, length);
  if (err == EINVAL) return ThrowArg(env, "a filter is 1..4096 instructions of 8 bytes");
  if (err != 0) return Throw(env, err, "setsockopt(SO_ATTACH_FILTER)");
  return nullptr;
}

napi_value MembershipJs(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[4];
  bool add = false;
  uint32_t type = 0;
  uint8_t* mac = nullptr;
  size_t macLength = 0;
  if (!GetArgs(env, cbinfo, 4, argv)) return nullptr;
  Link* link = GetOpenLink(env, argv[0]);
  if (link == nullptr) return nullptr;
  if (napi_get_value_bool(env, argv[1], &add) != napi_ok || napi_get_value_uint32(env, argv[2], &type) != napi_ok) {
    return ThrowArg(env, "membership(handle, add, type, mac)");
  }
  if (!GetBytes(env, argv[3], &mac, &macLength)) return nullptr;
  if (macLength != 0 && macLength != 6) return ThrowArg(env, "a MAC address is 6 bytes");
  struct packet_mreq request;
  memset(&request, 0, sizeof request);
  request.mr_ifindex = link->ifindex;
  request.mr_type = static_cast<unsigned short>(type);
  request.mr_alen = static_cast<unsigned short>(macLength);
  memcpy(request.mr_address, mac, macLength);
  int option = add ? PACKET_ADD_MEMBERSHIP : PACKET_DROP_MEMBERSHIP;
  if (setsockopt(link->fd, SOL_PACKET, option, &request, sizeof request) < 0) {
    return Throw(env, errno, add ? "setsockopt(PACKET_ADD_MEMBERSHIP)" : "setsockopt(PACKET_DROP_MEMBERSHIP)");
  }
  return nullptr;
}

napi_value SendJs(napi_env env, napi_callback_info cbinfo) {
  uint8_t* frame = nullptr;
  size_t length = 0;
  Link* link = GetLinkAndBytes(env, cbinfo, &frame, &length);
  if (link == nullptr) return nullptr;
  if (length < ETH_HLEN) return ThrowArg(env, "a frame has at least the 14-byte Ethernet header");
  struct sockaddr_ll to;
  memset(&to, 0, sizeof to);
  to.sll_family = AF_PACKET;
  to.sll_ifindex = link->ifindex;
  memcpy(&to.sll_protocol, frame + 12, 2);  // EtherType, already in network order
  to.sll_halen = ETH_ALEN;
  memcpy(to.sll_addr, frame, ETH_ALEN);
  ssize_t sent;
  do {
    sent = sendto(link->fd, frame, length, MSG_DONTWAIT, reinterpret_cast<struct sockaddr*>(&to), sizeof to);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return Throw(env, errno, "sendto");
  napi_value result;
  napi_create_double(env, static_cast<double>(sent), &result);
  return result;
}

napi_value StatsJs(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[1];
  if (!GetArgs(env, cbinfo, 1, argv)) return nullptr;
  Link* link = GetLink(env, argv[0]);
  if (link == nullptr) return nullptr;
  if (!link->closing) {
    struct tpacket_stats kernel;
    socklen_t length = sizeof kernel;
    if (getsockopt(link->fd, SOL_PACKET, PACKET_STATISTICS, &kernel, &length) < 0) {
      return Throw(env, errno, "getsockopt(PACKET_STATISTICS)");
    }
    link->kernelPackets += kernel.tp_packets;
    link->kernelDrops += kernel.tp_drops;
  }
  napi_value result;
  napi_create_object(env, &result);
  SetNumber(env, result, "kernelPackets", link->kernelPackets);
  SetNumber(env, result, "kernelDrops", link->kernelDrops);
  SetNumber(env, result, "delivered", link->delivered);
  SetNumber(env, result, "truncated", link->truncated);
  SetNumber(env, result, "outgoingSkipped", link->outgoingSkipped);
  return result;
}

napi_value RefJs(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[2];
  bool ref = true;
  if (!GetArgs(env, cbinfo, 2, argv)) return nullptr;
  Link* link = GetLink(env, argv[0]);
  if (link == nullptr || napi_get_value_bool(env, argv[1], &ref) != napi_ok) return nullptr;
  if (link->closing) return nullptr;
  if (ref) {
    uv_ref(reinterpret_cast<uv_handle_t*>(&link->poll));
  } else {
    uv_unref(reinterpret_cast<uv_handle_t*>(&link->poll));
  }
  return nullptr;
}

napi_value CloseJs(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[1];
  if (!GetArgs(env, cbinfo, 1, argv)) return nullptr;
  Link* link = GetLink(env, argv[0]);
  if (link != nullptr) CloseLink(link, false);
  return nullptr;
}

}  // namespace

NAPI_MODULE_INIT() {
  const napi_property_descriptor functions[] = {
      {"interfaceInfo", nullptr, InterfaceInfoJs, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"open", nullptr, OpenJs, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setFilter", nullptr, SetFilterJs, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"membership", nullptr, MembershipJs, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"send", nullptr, SendJs, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"stats", nullptr, StatsJs, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"ref", nullptr, RefJs, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"close", nullptr, CloseJs, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions);
  sps::RegisterAnswerer(env, exports);
  return exports;
}
