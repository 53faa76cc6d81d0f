import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compareProbeSets, conflictRename, renameRecords } from '../../../src/core/mdns/records';
import { DnsType } from '../../../src/wire/dns-rdata';
import { decodeTxt, encodeTxt, serviceRecords } from '../../../src/core/mdns/service-records';

describe('mDNS records', () => {
  test('conflict renaming: instances "Name (n)", hosts "name-n", dots in labels kept', () => {
    assert.equal(conflictRename('Kitchen._http._tcp.local'), 'Kitchen (2)._http._tcp.local');
    assert.equal(conflictRename('Kitchen (2)._http._tcp.local'), 'Kitchen (3)._http._tcp.local');
    assert.equal(conflictRename('v1\\.2._http._tcp.local'), 'v1\\.2 (2)._http._tcp.local');
    assert.equal(conflictRename('pi.local'), 'pi-2.local');
    assert.equal(conflictRename('pi-9.local'), 'pi-10.local');
  });

  test('renaming rewrites owners, PTR and SRV targets', () => {
    const records = serviceRecords({
      name: 'A',
      type: '_x._tcp',
      port: 1,
      host: 'h',
      addresses: ['10.0.0.1'],
    });
    const renamed = renameRecords(records, 'h.local', 'h-2.local');
    const srv = renamed.find((r) => r.type === DnsType.SRV);
    assert.ok(srv?.data.kind === 'srv' && srv.data.target === 'h-2.local');
    assert.ok(renamed.some((r) => r.type === DnsType.A && r.name === 'h-2.local'));
  });

  test('tie-break compares type then RDATA bytes; a longer set wins a common prefix', () => {
    const a = (address: string) => ({ type: DnsType.A, data: { kind: 'a' as const, address } });
    assert.ok(compareProbeSets([a('10.0.0.2')], [a('10.0.0.1')]) > 0);
    assert.ok(compareProbeSets([a('10.0.0.1')], [a('10.0.0.2')]) < 0);
    assert.equal(compareProbeSets([a('10.0.0.1')], [a('10.0.0.1')]), 0);
    assert.ok(compareProbeSets([a('10.0.0.1'), a('10.0.0.3')], [a('10.0.0.1')]) > 0);
  });

  test('TXT: true is a bare key, false is left out, values are UTF-8', () => {
    const strings = encodeTxt({ path: '/ui', secure: true, off: false, n: 'é' });
    assert.deepEqual(
      strings.map((s) => s.toString()),
      ['path=/ui', 'secure', 'n=é'],
    );
    assert.deepEqual(decodeTxt([...strings, Buffer.from('path=dup'), Buffer.from('=x')]), {
      path: '/ui',
      secure: true,
      n: 'é',
    });
  });
});
