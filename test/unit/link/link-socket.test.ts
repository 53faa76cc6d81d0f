// The TypeScript side of the link layer without a test LAN: error typing, locating the addon, and
// (where the addon is built and the process holds CAP_NET_RAW) the socket's contract on the
// loopback interface, which loops every sent frame back as an incoming one.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addonUnavailableReason } from '../../support/addon';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  LinkError,
  LinkInterfaceError,
  LinkPermissionError,
  LinkUnavailableError,
  acceptAll,
  bpfJump,
  bpfStmt,
  compileFilter,
  interfaceInfo,
  openLink,
  toLinkError,
  type LinkSocket,
} from '../../../src/io/link';
import { findPackageRoot } from '../../../src/io/link/native';
import { repoRoot } from '../../support/paths';

describe('toLinkError', () => {
  const native = (code: string): Error =>
    Object.assign(new Error(`socket ${code}: …`), { code, syscall: 'socket' });

  test('EPERM and EACCES say which capability to grant, and how', () => {
    for (const code of ['EPERM', 'EACCES']) {
      const error = toLinkError(native(code), 'eth0', 'open');
      assert.ok(error instanceof LinkPermissionError && error instanceof LinkError);
      assert.equal(error.code, code);
      assert.equal(error.ifname, 'eth0');
      assert.equal(error.syscall, 'socket');
      assert.match(error.message, /CAP_NET_RAW/);
      assert.match(
        error.message,
        /setcap cap_net_raw\+ep .*AmbientCapabilities=CAP_NET_RAW.*--cap-add NET_RAW/,
      );
    }
  });

  test('ENODEV is an interface error; other codes stay plain LinkErrors', () => {
    assert.ok(toLinkError(native('ENODEV'), 'eth9', 'open') instanceof LinkInterfaceError);
    const other = toLinkError(native('ENETDOWN'), 'eth0', 'receive');
    assert.equal(other.constructor, LinkError);
    assert.equal(other.code, 'ENETDOWN');
    assert.equal(toLinkError('odd', 'eth0', 'x').code, 'EUNKNOWN');
    const already = new LinkUnavailableError('no addon', 'EUNAVAILABLE');
    assert.equal(toLinkError(already, 'eth0', 'open'), already);
    assert.equal(already.name, 'LinkUnavailableError');
  });
});

describe('findPackageRoot', () => {
  test('walks up to the directory holding binding.gyp', () => {
    assert.equal(findPackageRoot(join(repoRoot, 'dist-x', 'src', 'io', 'link')), repoRoot);
    assert.equal(findPackageRoot(__dirname), repoRoot);
    assert.equal(findPackageRoot('/'), undefined);
  });
});

describe('interfaceInfo (no privilege needed)', { skip: addonUnavailableReason() }, () => {
  test('describes loopback', () => {
    const lo = interfaceInfo('lo');
    assert.equal(lo.mac, '00:00:00:00:00:00');
    assert.equal(lo.hardwareType, 772);
    assert.ok(lo.ifindex > 0 && lo.up);
  });

  test('unknown and impossible names are LinkInterfaceErrors', () => {
    for (const name of ['nope0', 'x'.repeat(16), '']) {
      assert.throws(
        () => interfaceInfo(name),
        (e: unknown) => e instanceof LinkInterfaceError && e.code === 'ENODEV',
      );
      assert.throws(() => openLink(name), LinkInterfaceError);
    }
  });
});

function loopbackReason(): string | undefined {
  const reason = addonUnavailableReason();
  if (reason) return reason;
  try {
    openLink('lo').close();
    return undefined;
  } catch (error) {
    if (error instanceof LinkPermissionError) return 'no CAP_NET_RAW here';
    throw error;
  }
}

const TEST_ETHERTYPE = 0x88b5;

describe('LinkSocket on loopback', { skip: loopbackReason() }, () => {
  // A marker per run keeps concurrent test runs on the same loopback apart.
  const marker = randomBytes(8);
  const frame = (fill: number, length = 60): Buffer => {
    const f = Buffer.alloc(length, fill);
    f.fill(0, 0, 12);
    f.writeUInt16BE(TEST_ETHERTYPE, 12);
    marker.copy(f, 14);
    return f;
  };
  const ours = (f: Buffer): boolean => f.subarray(14, 22).equals(marker);
  const received = (link: LinkSocket, count: number): Promise<Buffer[]> =>
    new Promise((resolve, reject) => {
      const seen: Buffer[] = [];
      const timer = setTimeout(() => reject(new Error(`only ${seen.length} of ${count} frames`)), 2000);
      link.on('frame', (f) => {
        if (!ours(f)) return;
        seen.push(f);
        if (seen.length === count) {
          clearTimeout(timer);
          resolve(seen);
        }
      });
    });

  test('delivers what the filter passes, fresh buffers of exactly the frame', async () => {
    const rx = openLink('lo', { filter: compileFilter([{ kind: 'ethertype', types: [TEST_ETHERTYPE] }]) });
    const tx = openLink('lo');
    try {
      const arriving = received(rx, 2);
      const sent = [frame(1), frame(2, 200)];
      for (const f of sent) assert.equal(tx.send(f), true);
      const got = await arriving;
      assert.deepEqual(got, sent);
      assert.notEqual(got[0].buffer, got[1].buffer);
      assert.equal(tx.stats().sent, 2);
      assert.ok(rx.stats().delivered >= 2);
    } finally {
      rx.close();
      tx.close();
    }
  });

  test('the default is to deliver nothing until a filter is set', async () => {
    const rx = openLink('lo');
    const tx = openLink('lo');
    try {
      let count = 0;
      rx.on('frame', (f) => (count += ours(f) ? 1 : 0));
      tx.send(frame(3));
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(count, 0);
      assert.equal(rx.stats().kernelPackets, 0);
      rx.setFilter(acceptAll());
      const arriving = received(rx, 1);
      tx.send(frame(4));
      assert.deepEqual(await arriving, [frame(4)]);
    } finally {
      rx.close();
      tx.close();
    }
  });

  test('misuse: closed links throw ECLOSED, rejected programs keep the old one, bad sends report', async () => {
    const link = openLink('lo', { filter: acceptAll() });
    const errors: LinkError[] = [];
    link.on('error', (e) => errors.push(e));
    // a jump past the end: the kernel refuses it
    const broken = [bpfJump(0x15, 1, 5, 0), bpfStmt(0x06, 0)];
    assert.throws(
      () => link.setFilter(broken),
      (e: unknown) => e instanceof LinkError && e.code === 'EINVAL',
    );
    assert.throws(() => link.addMulticast('02:00:00:00:00:01'), TypeError);
    assert.equal(link.send(Buffer.alloc(10)), false);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].code, 'EINVAL');
    assert.equal(link.stats().errors, 1);
    link.close();
    link.close();
    assert.equal(link.closed, true);
    assert.throws(
      () => link.send(frame(5)),
      (e: unknown) => e instanceof LinkError && e.code === 'ECLOSED',
    );
    assert.throws(() => link.setFilter(acceptAll()), /closed link/);
    assert.equal(link.stats().errors, 1);
    link.unref().ref();
  });

  test('an initial filter the kernel rejects fails openLink without leaking the socket', () => {
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const before = fds();
    assert.throws(() => openLink('lo', { filter: [bpfJump(0x15, 1, 5, 0), bpfStmt(0x06, 0)] }), LinkError);
    assert.equal(fds(), before);
  });
});
