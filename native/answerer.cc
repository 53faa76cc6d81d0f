// The native ARP/NDP answerer: threads blocking on their own AF_PACKET sockets, whose kernel filter
// passes only ARP requests and Neighbour Solicitations for the addresses that answer now, and which
// send each reply themselves (answer-frame.cc), with no JavaScript round trip, to come close to the
// kernel answering for its own address (it answers inside the receive softirq; we answer right
// after it, on the same CPU). The engine stays the decider: it computes the answer table
// (src/core/answer-set.ts) whenever a claim changes state and the service installs it here; the
// link socket still captures what the engine needs (owners' frames, conflicts).
//
// Latency, measured on the test LAN (bench/arp-latency.ts): one worker per CPU in a
// PACKET_FANOUT_CPU group, each pinned to its CPU, so a frame wakes the worker of the CPU that
// received it (no cross-CPU wakeup); SCHED_FIFO when permitted, so that wakeup preempts ordinary
// work; a receive ring (no recvmsg) and epoll (no per-wait setup).
//
// Contract (src/io/link/answerer.ts is the only caller):
// - answererOpen(ifname) -> { handle, ifindex, workers }: the sockets (drop-all filter) and the
//   threads running.
// - answererSet(handle, mac, answer4, answer6, claimed4, claimed6, owners, filter): replaces the
//   table (a worker picks up the new one with its next frame), then the sockets' filter. The lists
//   are Buffers of 4-byte IPv4, 16-byte IPv6 and 6-byte MAC entries; filter is a classic BPF program.
// - answererStats(handle) -> counters (also after close).
// - answererClose(handle): wakes the workers, joins them, unmaps their rings and closes every fd
//   before returning; idempotent; also done at environment teardown and when the handle is
//   garbage collected.
// - answerFrame(mac, answer4, answer6, claimed4, claimed6, owners, frame, checksumPartial) ->
//   Buffer | null: the workers' decision as a pure function, for tests.
// Nothing here throws into a worker or aborts on a frame: BuildAnswer bounds-checks every read,
// and a ring slot's offsets are checked against the slot.
#include "answerer.h"

#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sys/prctl.h>

#include <atomic>
#include <new>

#include "answer-frame.h"
#include "napi-util.h"
#include "packet-socket.h"

namespace sps {

namespace {

// The receive ring (PACKET_RX_RING, TPACKET_V2) of each worker: frames are read where the kernel
// wrote them, with no recvmsg. A slot holds a frame of up to ~1980 bytes, far more than any ARP
// request or solicitation needs; a longer one is skipped (counted).
constexpr unsigned kRingFrame = 2048;
constexpr unsigned kRingBlock = 65536;
constexpr unsigned kRingBlocks = 4;
// One worker per CPU up to this many (PACKET_FANOUT_CPU), so that a frame is answered on the CPU
// that received it: no cross-CPU wakeup, which is most of the latency left.
constexpr int kMaxWorkers = 16;
constexpr size_t kThreadStack = 256 * 1024;
// Frames read per wakeup before looking at the stop signal again.
constexpr int kFramesPerWakeup = 256;
const char kThreadName[] = "sps-answerer";

struct Answerer;

// A thread with its own socket; with several, the kernel hands each frame to the socket of the CPU
// that received it.
struct Worker {
  Answerer* answerer = nullptr;
  int fd = -1;
  // Waits on fd and the answerer's stopFd (registered once: cheaper per wakeup than poll).
  int epollFd = -1;
  int cpu = -1;  // pinned to it, when there are several workers
  uv_thread_t thread{};
  bool running = false;  // started and not yet joined (JS thread only)
  uint8_t* ring = nullptr;  // mmap'ed, kRingBlock * kRingBlocks bytes
  unsigned next = 0;        // the slot to look at next
};

struct Answerer {
  napi_env env = nullptr;
  // An eventfd the JS thread writes to stop every worker (it stays readable).
  int stopFd = -1;
  int ifindex = 0;
  bool closed = false;  // JS thread only
  int workerCount = 0;
  Worker workers[kMaxWorkers];
  // Held while a worker decides, and while answererSet swaps the table (libuv's, like the threads:
  // the addon then needs no newer glibc than the link socket did).
  uv_mutex_t mutex;
  AnswerTable* table = nullptr;  // guarded by mutex
  // Written by the answering thread, read by answererStats.
  std::atomic<int> realtime{0};
  std::atomic<uint64_t> received{0}, arpReplies{0}, ndpReplies{0}, skipped{0}, sendErrors{0}, socketErrors{0};
  // PACKET_STATISTICS resets on every read (JS thread only).
  double kernelPackets = 0, kernelDrops = 0;
};

void Pause() {
  struct timespec t = {0, 10 * 1000 * 1000};
  nanosleep(&t, nullptr);
}


void SendAnswer(Answerer* a, int fd, const uint8_t* reply, const Answer& answer) {
  struct sockaddr_ll to;
  memset(&to, 0, sizeof to);
  to.sll_family = AF_PACKET;
  to.sll_ifindex = a->ifindex;
  memcpy(&to.sll_protocol, reply + 12, 2);  // EtherType, already in network order
  to.sll_halen = ETH_ALEN;
  memcpy(to.sll_addr, reply, ETH_ALEN);
  ssize_t sent;
  do {
    sent = sendto(fd, reply, answer.length, MSG_DONTWAIT, reinterpret_cast<struct sockaddr*>(&to), sizeof to);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    a->sendErrors++;
  } else if (answer.kind == AnswerKind::kArp) {
    a->arpReplies++;
  } else {
    a->ndpReplies++;
  }
}

void Respond(Answerer* a, int fd, const uint8_t* frame, size_t length, bool checksumPartial, uint8_t* reply) {
  Answer answer = {AnswerKind::kNone, 0};
  uv_mutex_lock(&a->mutex);
  if (a->table != nullptr) answer = BuildAnswer(*a->table, frame, length, checksumPartial, reply, kMaxAnswerLength);
  uv_mutex_unlock(&a->mutex);
  if (answer.kind == AnswerKind::kNone) {
    a->skipped++;
  } else {
    SendAnswer(a, fd, reply, answer);
  }
}

// Answers the frame in the next ring slot and hands the slot back; false when the ring is empty.
bool ReadSlot(Worker* w, uint8_t* reply) {
  constexpr unsigned kSlots = kRingBlock / kRingFrame * kRingBlocks;
  uint8_t* slot = w->ring + static_cast<size_t>(w->next) * kRingFrame;
  struct tpacket2_hdr* header = reinterpret_cast<struct tpacket2_hdr*>(slot);
  uint32_t status = __atomic_load_n(&header->tp_status, __ATOMIC_ACQUIRE);
  if ((status & TP_STATUS_USER) == 0) return false;
  Answerer* a = w->answerer;
  a->received++;
  // Where the kernel says the frame is, checked against the slot before it is read.
  constexpr size_t kAddressAt = TPACKET_ALIGN(sizeof(struct tpacket2_hdr));
  const struct sockaddr_ll* from = reinterpret_cast<const struct sockaddr_ll*>(slot + kAddressAt);
  size_t start = header->tp_mac;
  size_t length = header->tp_snaplen;
  bool fits = start >= kAddressAt + sizeof(struct sockaddr_ll) && start <= kRingFrame && length <= kRingFrame - start;
  if (!fits || length != header->tp_len || from->sll_pkttype == PACKET_OUTGOING) {
    a->skipped++;  // too long for a slot, or our own (only without PACKET_IGNORE_OUTGOING)
  } else {
    Respond(a, w->fd, slot + start, length, (status & TP_STATUS_CSUMNOTREADY) != 0, reply);
  }
  __atomic_store_n(&header->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
  w->next = (w->next + 1) % kSlots;
  return true;
}

void Run(void* arg) {
  Worker* w = static_cast<Worker*>(arg);
  Answerer* a = w->answerer;
  prctl(PR_SET_NAME, kThreadName);
  // On Linux these act on the calling thread.
  if (w->cpu >= 0) {
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(w->cpu, &cpus);
    sched_setaffinity(0, sizeof cpus, &cpus);
  }
  // Best effort: with CAP_SYS_NICE (or RLIMIT_RTPRIO) the lowest real-time priority lets a wakeup
  // preempt ordinary work at once, as the kernel's own answer (in softirq) does; without it the
  // thread stays an ordinary one.
  struct sched_param priority = {1};
  if (sched_setscheduler(0, SCHED_FIFO, &priority) == 0) a->realtime++;
  uint8_t reply[kMaxAnswerLength];
  for (;;) {
    struct epoll_event ready[2];
    int count = epoll_wait(w->epollFd, ready, 2, -1);
    if (count < 0) {
      if (errno != EINTR) Pause();
      continue;
    }
    uint32_t events = 0;
    bool stop = false;
    for (int i = 0; i < count; i++) {
      if (ready[i].data.fd == a->stopFd) stop = true;
      else events |= ready[i].events;
    }
    if (stop) break;
    if (events & EPOLLIN) {
      for (int i = 0; i < kFramesPerWakeup && ReadSlot(w, reply); i++) {
      }
    }
    if (events & EPOLLERR) {
      // ENETDOWN while the interface is down: reading SO_ERROR clears it; delivery resumes when it is up.
      int err = 0;
      socklen_t length = sizeof err;
      getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &err, &length);
      a->socketErrors++;
      if (err == 0) Pause();
    }
    if (events & EPOLLHUP) Pause();
  }
}

// ---- lifecycle ----------------------------------------------------------------------------------

void CleanupHook(void* arg);

// Unmaps the ring and closes the fds of a worker whose thread is not running.
void ReleaseWorker(Worker* w) {
  if (w->ring != nullptr) munmap(w->ring, kRingBlock * kRingBlocks);
  if (w->fd >= 0) close(w->fd);
  if (w->epollFd >= 0) close(w->epollFd);
  w->ring = nullptr;
  w->fd = w->epollFd = -1;
}

// Stops and joins the workers, closes every fd; also undoes a partly done open.
void StopWorkers(Answerer* a) {
  uint64_t one = 1;
  ssize_t written;
  do {
    written = write(a->stopFd, &one, sizeof one);
  } while (written < 0 && errno == EINTR);
  for (int i = 0; i < a->workerCount; i++) {
    Worker& w = a->workers[i];
    if (w.running) uv_thread_join(&w.thread);
    w.running = false;
    ReleaseWorker(&w);
  }
  if (a->stopFd >= 0) close(a->stopFd);
  a->stopFd = -1;
}

void CloseAnswerer(Answerer* a, bool fromCleanupHook) {
  if (a->closed) return;
  a->closed = true;
  StopWorkers(a);
  if (!fromCleanupHook) napi_remove_env_cleanup_hook(a->env, CleanupHook, a);
}

// Environment teardown (process exit, worker termination) with the answerer still open.
void CleanupHook(void* arg) { CloseAnswerer(static_cast<Answerer*>(arg), true); }

// Allocated with malloc and placement new: the addon links no C++ runtime.
Answerer* NewAnswerer() {
  void* memory = calloc(1, sizeof(Answerer));
  if (memory == nullptr) return nullptr;
  Answerer* a = new (memory) Answerer();
  uv_mutex_init(&a->mutex);
  return a;
}

void SwapTable(Answerer* a, AnswerTable* table) {
  uv_mutex_lock(&a->mutex);
  AnswerTable* old = a->table;
  a->table = table;
  uv_mutex_unlock(&a->mutex);
  if (old != nullptr) {
    ClearTable(old);
    free(old);
  }
}

// After CloseAnswerer (no worker left).
void DeleteAnswerer(Answerer* a) {
  SwapTable(a, nullptr);
  uv_mutex_destroy(&a->mutex);
  a->~Answerer();
  free(a);
}

void Finalize(napi_env /*env*/, void* data, void* /*hint*/) {
  Answerer* a = static_cast<Answerer*>(data);
  CloseAnswerer(a, false);
  DeleteAnswerer(a);
}

// ---- arguments ----------------------------------------------------------------------------------

Answerer* GetAnswerer(napi_env env, napi_value value, bool open) {
  void* data = nullptr;
  if (napi_get_value_external(env, value, &data) != napi_ok || data == nullptr) {
    ThrowArg(env, "not an answerer handle");
    return nullptr;
  }
  Answerer* a = static_cast<Answerer*>(data);
  if (open && a->closed) {
    Throw(env, EBADF, "answerer", "the answerer is closed");
    return nullptr;
  }
  return a;
}

bool GetList(napi_env env, napi_value value, size_t size, EntryList* out) {
  uint8_t* data = nullptr;
  size_t length = 0;
  if (!GetBytes(env, value, &data, &length)) return false;
  if (length % size != 0) {
    ThrowArg(env, "an address list is a Buffer of whole entries (IPv4 4, IPv6 16, MAC 6 bytes)");
    return false;
  }
  if (!FillList(out, data, length, size)) {
    Throw(env, ENOMEM, "answerer table");
    return false;
  }
  return true;
}

// argv: mac, answer4, answer6, claimed4, claimed6, owners. On false the caller clears the table.
bool GetTable(napi_env env, napi_value* argv, AnswerTable* table) {
  uint8_t* mac = nullptr;
  size_t macLength = 0;
  if (!GetBytes(env, argv[0], &mac, &macLength)) return false;
  if (macLength != 6) {
    ThrowArg(env, "our MAC address is 6 bytes");
    return false;
  }
  memcpy(table->mac, mac, 6);
  return GetList(env, argv[1], 4, &table->answer4) && GetList(env, argv[2], 16, &table->answer6) &&
         GetList(env, argv[3], 4, &table->claimed4) && GetList(env, argv[4], 16, &table->claimed6) &&
         GetList(env, argv[5], 6, &table->owners);
}

// ---- calls --------------------------------------------------------------------------------------

// Gives the worker's socket its receive ring (before it joins a fanout group). 0 or errno.
int MapRing(Worker* w, const char** failedCall) {
  int version = TPACKET_V2;
  struct tpacket_req request = {kRingBlock, kRingBlocks, kRingFrame, kRingBlock / kRingFrame * kRingBlocks};
  *failedCall = "setsockopt(PACKET_RX_RING)";
  if (setsockopt(w->fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version) < 0 ||
      setsockopt(w->fd, SOL_PACKET, PACKET_RX_RING, &request, sizeof request) < 0) {
    return errno;
  }
  *failedCall = "mmap";
  void* ring = mmap(nullptr, kRingBlock * kRingBlocks, PROT_READ | PROT_WRITE, MAP_SHARED, w->fd, 0);
  if (ring == MAP_FAILED) return errno;
  w->ring = static_cast<uint8_t*>(ring);
  return 0;
}

// Puts every worker's socket in one new PACKET_FANOUT_CPU group; false leaves only the first
// worker (a group of one, or none: either way it gets every frame).
bool JoinFanout(Answerer* a) {
  int first = (PACKET_FANOUT_CPU | PACKET_FANOUT_FLAG_UNIQUEID) << 16;  // the kernel picks a free id
  if (setsockopt(a->workers[0].fd, SOL_PACKET, PACKET_FANOUT, &first, sizeof first) < 0) return false;
  int joined = 0;
  socklen_t length = sizeof joined;
  if (getsockopt(a->workers[0].fd, SOL_PACKET, PACKET_FANOUT, &joined, &length) < 0) return false;
  int others = (joined & 0xffff) | (PACKET_FANOUT_CPU << 16);
  for (int i = 1; i < a->workerCount; i++) {
    if (setsockopt(a->workers[i].fd, SOL_PACKET, PACKET_FANOUT, &others, sizeof others) < 0) return false;
  }
  return true;
}

// Opens the workers' sockets (and their fanout group); 0 or errno, with *failedCall set.
int OpenSockets(Answerer* a, const char* name, int workers, const char** failedCall) {
  for (int i = 0; i < workers; i++) {
    InterfaceInfo info;
    bool ignoresOutgoing = false;
    int fd = OpenPacketSocket(name, ETH_P_ALL, false, &info, &ignoresOutgoing, failedCall);
    if (fd < 0) return -fd;
    Worker& w = a->workers[a->workerCount++];
    w.answerer = a;
    w.fd = fd;
    a->ifindex = info.index;
    int err = MapRing(&w, failedCall);
    if (err != 0) return err;
  }
  if (a->workerCount > 1 && !JoinFanout(a)) {
    for (int i = 1; i < a->workerCount; i++) ReleaseWorker(&a->workers[i]);
    a->workerCount = 1;
  }
  if (a->workerCount > 1) {
    for (int i = 0; i < a->workerCount; i++) a->workers[i].cpu = i;
  }
  return 0;
}

// The worker's epoll set: its socket and the stop signal. 0 or errno.
int WatchFds(Worker* w) {
  w->epollFd = epoll_create1(EPOLL_CLOEXEC);
  if (w->epollFd < 0) return errno;
  int fds[] = {w->fd, w->answerer->stopFd};
  for (int fd : fds) {
    struct epoll_event watch;
    memset(&watch, 0, sizeof watch);
    watch.events = EPOLLIN;
    watch.data.fd = fd;
    if (epoll_ctl(w->epollFd, EPOLL_CTL_ADD, fd, &watch) < 0) return errno;
  }
  return 0;
}

int StartThreads(Answerer* a) {
  uv_thread_options_t options;
  options.flags = UV_THREAD_HAS_STACK_SIZE;
  options.stack_size = kThreadStack;
  // Created with every signal blocked (and so they stay): signals are the JS thread's business.
  // (glibc's sigprocmask sets the calling thread's mask.)
  sigset_t all, saved;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &saved);
  int err = 0;
  for (int i = 0; i < a->workerCount && err == 0; i++) {
    Worker& w = a->workers[i];
    err = WatchFds(&w);
    if (err == 0) err = -uv_thread_create_ex(&w.thread, &options, Run, &w);
    if (err == 0) w.running = true;
  }
  sigprocmask(SIG_SETMASK, &saved, nullptr);
  return err;
}

napi_value OpenJs(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[1];
  char name[IFNAMSIZ + 1];
  if (!GetArgs(env, cbinfo, 1, argv) || !GetString(env, argv[0], name, sizeof name)) return nullptr;
  Answerer* a = NewAnswerer();
  if (a == nullptr) return Throw(env, ENOMEM, "answererOpen");
  a->env = env;
  const char* failedCall = "eventfd";
  a->stopFd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  int err = a->stopFd < 0 ? errno : 0;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  int workers = cpus < 1 ? 1 : cpus > kMaxWorkers ? kMaxWorkers : static_cast<int>(cpus);
  if (err == 0) err = OpenSockets(a, name, workers, &failedCall);
  if (err == 0) {
    failedCall = "epoll_ctl/uv_thread_create";
    err = StartThreads(a);
  }
  if (err != 0) {
    StopWorkers(a);
    DeleteAnswerer(a);
    return Throw(env, err, failedCall, name);
  }
  napi_add_env_cleanup_hook(env, CleanupHook, a);
  napi_value handle, result;
  napi_create_external(env, a, Finalize, nullptr, &handle);
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "handle", handle);
  SetNumber(env, result, "ifindex", a->ifindex);
  SetNumber(env, result, "workers", a->workerCount);
  return result;
}

// Replaces the program on every worker's socket; 0 or errno.
int AttachToWorkers(Answerer* a, const uint8_t* code, size_t length) {
  for (int i = 0; i < a->workerCount; i++) {
    int fd = a->workers[i].fd;
    int err = AttachFilterBytes(fd, code, length);
    if (err == ENOMEM) {
      // Old and new program must fit in optmem_max side by side; go through drop-all (never pass-all).
      struct sock_filter dropAll = BPF_STMT(BPF_RET | BPF_K, 0);
      if (AttachFilter(fd, &dropAll, 1) == 0) err = AttachFilterBytes(fd, code, length);
    }
    if (err != 0) return err;
  }
  return 0;
}

napi_value SetJs(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[8];
  if (!GetArgs(env, cbinfo, 8, argv)) return nullptr;
  Answerer* a = GetAnswerer(env, argv[0], true);
  if (a == nullptr) return nullptr;
  void* memory = calloc(1, sizeof(AnswerTable));
  if (memory == nullptr) return Throw(env, ENOMEM, "answerer table");
  AnswerTable* table = new (memory) AnswerTable();
  uint8_t* code = nullptr;
  size_t codeLength = 0;
  if (!GetTable(env, argv + 1, table) || !GetBytes(env, argv[7], &code, &codeLength)) {
    ClearTable(table);
    free(table);
    return nullptr;
  }
  // The table first: it is what decides, the filter only keeps other frames away.
  SwapTable(a, table);
  int err = AttachToWorkers(a, code, codeLength);
  if (err == EINVAL) return ThrowArg(env, "a filter is 1..4096 valid instructions of 8 bytes");
  if (err != 0) return Throw(env, err, "setsockopt(SO_ATTACH_FILTER)");
  return nullptr;
}

napi_value StatsJs(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[1];
  if (!GetArgs(env, cbinfo, 1, argv)) return nullptr;
  Answerer* a = GetAnswerer(env, argv[0], false);
  if (a == nullptr) return nullptr;
  for (int i = 0; i < a->workerCount && !a->closed; i++) {
    struct tpacket_stats kernel;
    socklen_t length = sizeof kernel;
    if (getsockopt(a->workers[i].fd, SOL_PACKET, PACKET_STATISTICS, &kernel, &length) == 0) {
      a->kernelPackets += kernel.tp_packets;
      a->kernelDrops += kernel.tp_drops;
    }
  }
  napi_value result;
  napi_create_object(env, &result);
  SetNumber(env, result, "kernelPackets", a->kernelPackets);
  SetNumber(env, result, "kernelDrops", a->kernelDrops);
  SetNumber(env, result, "received", static_cast<double>(a->received.load()));
  SetNumber(env, result, "arpReplies", static_cast<double>(a->arpReplies.load()));
  SetNumber(env, result, "ndpReplies", static_cast<double>(a->ndpReplies.load()));
  SetNumber(env, result, "skipped", static_cast<double>(a->skipped.load()));
  SetNumber(env, result, "sendErrors", static_cast<double>(a->sendErrors.load()));
  SetNumber(env, result, "socketErrors", static_cast<double>(a->socketErrors.load()));
  SetNumber(env, result, "workers", a->workerCount);
  SetNumber(env, result, "realtimeWorkers", a->realtime.load());
  return result;
}

napi_value CloseJs(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[1];
  if (!GetArgs(env, cbinfo, 1, argv)) return nullptr;
  Answerer* a = GetAnswerer(env, argv[0], false);
  if (a != nullptr) CloseAnswerer(a, false);
  return nullptr;
}

napi_value AnswerFrameJs(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[8];
  if (!GetArgs(env, cbinfo, 8, argv)) return nullptr;
  AnswerTable table;
  uint8_t* frame = nullptr;
  size_t length = 0;
  bool checksumPartial = false;
  bool ok = GetTable(env, argv, &table) && GetBytes(env, argv[6], &frame, &length);
  if (ok && napi_get_value_bool(env, argv[7], &checksumPartial) != napi_ok) {
    ThrowArg(env, "expected a boolean");
    ok = false;
  }
  uint8_t reply[kMaxAnswerLength];
  Answer answer = {AnswerKind::kNone, 0};
  if (ok) answer = BuildAnswer(table, frame, length, checksumPartial, reply, sizeof reply);
  ClearTable(&table);
  if (!ok) return nullptr;
  napi_value result;
  if (answer.kind == AnswerKind::kNone) {
    napi_get_null(env, &result);
  } else {
    napi_create_buffer_copy(env, answer.length, reply, nullptr, &result);
  }
  return result;
}

}  // namespace

void RegisterAnswerer(napi_env env, napi_value exports) {
  const napi_property_descriptor functions[] = {
      {"answererOpen", nullptr, OpenJs, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"answererSet", nullptr, SetJs, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"answererStats", nullptr, StatsJs, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"answererClose", nullptr, CloseJs, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"answerFrame", nullptr, AnswerFrameJs, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions);
}

}  // namespace sps
