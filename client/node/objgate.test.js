'use strict';
// Calls a live objgate gateway through the stubs and the objgate helper, and checks the
// helper's download verification against canned streams, its upload checks against a fake
// gateway, and its CRC32C against known vectors.
//
//   OBJGATE_TARGET=127.0.0.1:50051 \
//     OBJGATE_CORRUPTING_PROXY=bazel-bin/tests/support/corrupting_proxy node --test objgate.test.js
//
// tests/polyglot/run.sh starts a gateway and a reference store and runs this. Every test
// uses a tenant of its own, so tests neither see nor disturb one another's objects. The
// CRC32C tests that put tests/support/corrupting_proxy between the client and the gateway
// are skipped without OBJGATE_CORRUPTING_PROXY.

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const { once } = require('node:events');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { after, afterEach, before, describe, test } = require('node:test');
const grpc = require('@grpc/grpc-js');
const crc32c = require('./crc32c');
const {
  DataLossError, IncompleteDownloadError, ObjectReader, ObjectStorageClient, loadStorageProto,
} = require('./objgate');

const MIB = 1024 * 1024;

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');

async function collect(asyncIterable) {
  const items = [];
  for await (const item of asyncIterable) items.push(item);
  return items;
}

// Download responses as a gateway without CRC32C would send them for `data`, ending in
// `trailer` (one that matches when none is given, none at all when it is null).
async function* downloadResponses(data, trailer = { sha256: sha256(data), size: data.length }) {
  const metadata = { key: 'k', size: data.length, offset: 0, length: data.length };
  yield { kind: 'metadata', metadata };
  yield { kind: 'data', data };
  if (trailer !== null) yield { kind: 'trailer', trailer };
}

// Download responses as the gateway sends them: each of `chunks` with its CRC32C (or the
// one in `crc32cs`), and a trailer with the stream's (or `streamCrc32c`).
async function* checkedDownloadResponses(chunks, { crc32cs, streamCrc32c } = {}) {
  const data = Buffer.concat(chunks);
  const metadata = { key: 'k', size: data.length, offset: 0, length: data.length };
  yield { kind: 'metadata', metadata };
  for (const [i, chunk] of chunks.entries()) {
    yield { kind: 'data', data: chunk, crc32c: crc32cs ? crc32cs[i] : crc32c.crc32c(chunk) };
  }
  const trailer = { sha256: sha256(data), size: data.length,
                    crc32c: streamCrc32c ?? crc32c.crc32c(data) };
  yield { kind: 'trailer', trailer };
}

// `size` bytes that differ from their neighbours: a little-endian 32-bit counter.
function patternedBytes(size) {
  const data = Buffer.alloc(Math.ceil(size / 4) * 4);
  for (let i = 0; i < data.length / 4; i++) data.writeUInt32LE(i, i * 4);
  return data.subarray(0, size);
}

describe('crc32c', () => {
  test('matches the known vectors (RFC 3720 B.4)', () => {
    assert.equal(crc32c.crc32c(Buffer.alloc(0)), 0);
    assert.equal(crc32c.crc32c(Buffer.from('123456789')), 0xe3069283);
    assert.equal(crc32c.crc32c(Buffer.alloc(32, 0)), 0x8a9136aa);
    assert.equal(crc32c.crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
    assert.equal(crc32c.crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i))), 0x46dd794e);
    assert.equal(crc32c.crc32c(new Uint8Array(Buffer.from('123456789'))), 0xe3069283);
  });

  test('extending and combining equal the whole', () => {
    const data = crypto.randomBytes(100_003);
    const whole = crc32c.crc32c(data);
    for (const cut of [0, 1, 7, 8, 9, 50_000, 100_002, 100_003]) {
      const [head, tail] = [data.subarray(0, cut), data.subarray(cut)];
      assert.equal(crc32c.extend(crc32c.crc32c(head), tail), whole, `extend at ${cut}`);
      assert.equal(crc32c.combine(crc32c.crc32c(head), crc32c.crc32c(tail), tail.length), whole,
                   `combine at ${cut}`);
    }
  });

  test('writes a CRC as the gateway does', () => {
    assert.equal(crc32c.toHex(0xe3069283), '0xe3069283');
    assert.equal(crc32c.toHex(0x1f), '0x0000001f');
  });
});

describe('ObjectReader', () => {
  test('reads a stream whose trailer matches', async () => {
    const reader = await ObjectReader.open(downloadResponses(Buffer.from('abc')));

    assert.deepEqual(await reader.read(), Buffer.from('abc'));
  });

  test('rejects a stream without trailer', async () => {
    const reader = await ObjectReader.open(downloadResponses(Buffer.from('abc'), null));

    await assert.rejects(reader.read(), IncompleteDownloadError);
  });

  test('rejects a trailer with another SHA-256', async () => {
    const trailer = { sha256: sha256(Buffer.from('abd')), size: 3 };
    const reader = await ObjectReader.open(downloadResponses(Buffer.from('abc'), trailer));

    await assert.rejects(reader.read(), IncompleteDownloadError);
  });

  test('rejects a trailer with another size', async () => {
    const trailer = { sha256: sha256(Buffer.from('abc')), size: 4 };
    const reader = await ObjectReader.open(downloadResponses(Buffer.from('abc'), trailer));

    await assert.rejects(reader.read(), IncompleteDownloadError);
  });

  test('reads a stream whose CRC32Cs match', async () => {
    const chunks = [Buffer.from('abc'), Buffer.from('def')];
    const reader = await ObjectReader.open(checkedDownloadResponses(chunks));

    assert.deepEqual(await reader.read(), Buffer.from('abcdef'));
    assert.equal(reader.trailer.crc32c, crc32c.crc32c(Buffer.from('abcdef')));
  });

  test('rejects a data message with another CRC32C before handing on its bytes', async () => {
    const chunks = ['first', 'secXnd', 'third'].map((s) => Buffer.from(s)); // one changed
    const crc32cs = ['first', 'second', 'third'].map((s) => crc32c.crc32c(Buffer.from(s)));
    const reader = await ObjectReader.open(checkedDownloadResponses(chunks, { crc32cs }));
    const handedOn = [];

    await assert.rejects(async () => {
      for await (const chunk of reader) handedOn.push(chunk.toString());
    }, (error) => {
      assert.ok(error instanceof DataLossError);
      assert.ok(error instanceof IncompleteDownloadError);
      assert.match(error.message, /CRC32C/);
      assert.match(error.message, /offset 5 /);
      assert.ok(error.message.includes(crc32c.toHex(crc32c.crc32c(Buffer.from('secXnd')))));
      assert.ok(error.message.includes(crc32c.toHex(crc32cs[1])));
      return true;
    });
    assert.deepEqual(handedOn, ['first']);
  });

  test('checks a CRC32C of 0 too', async () => {
    // Set to 0 is not unset: only an absent field goes unchecked.
    const reader = await ObjectReader.open(
      checkedDownloadResponses([Buffer.from('abc')], { crc32cs: [0] }));

    await assert.rejects(reader.read(), DataLossError);
  });

  test('rejects a trailer with another CRC32C', async () => {
    // Every message checks out, but the stream is not the one the gateway sent.
    const chunks = [Buffer.from('abc'), Buffer.from('def')];
    const streamCrc32c = crc32c.crc32c(Buffer.from('defabc'));
    const reader = await ObjectReader.open(checkedDownloadResponses(chunks, { streamCrc32c }));

    await assert.rejects(reader.read(), (error) => {
      assert.ok(error instanceof DataLossError);
      assert.match(error.message, /CRC32C/);
      return true;
    });
  });

  test('reads a stream without CRC32Cs from an older gateway', async () => {
    const reader = await ObjectReader.open(downloadResponses(Buffer.from('abc')));

    assert.deepEqual(await reader.read(), Buffer.from('abc'));
  });
});

describe('upload CRC32C against a fake gateway', () => {
  // Answers Upload with `answer` after recording the requests as proto-loader decodes them.
  let server;
  let client;
  let requests = [];
  let answer = {};
  const answerWith = (fields) => {
    answer = { key: 'k', ...fields };
  };

  before(async () => {
    server = new grpc.Server();
    server.addService(loadStorageProto().ObjectStorage.service, {
      upload(call, callback) {
        requests = [];
        call.on('data', (request) => requests.push(request));
        call.on('end', () => callback(null, answer));
      },
    });
    const port = await new Promise((resolve, reject) => {
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(),
                       (error, bound) => (error ? reject(error) : resolve(bound)));
    });
    client = new ObjectStorageClient(`127.0.0.1:${port}`, 'tenant');
  });

  after(() => {
    client.close();
    server.forceShutdown();
  });

  test('every data message carries its CRC32C', async () => {
    const chunks = ['abc', '', 'def'].map((s) => Buffer.from(s));
    answerWith({ crc32c: crc32c.crc32c(Buffer.from('abcdef')) });

    await client.upload('k', chunks.values());

    const data = requests.filter((request) => request.kind === 'data');
    assert.deepEqual(data.map((request) => request.data), chunks);
    assert.deepEqual(data.map((request) => request.crc32c), chunks.map(crc32c.crc32c));
    assert.equal(requests[0].crc32c, undefined); // the spec
    assert.equal(requests.at(-1).crc32c, undefined); // finishWrite
  });

  test('a response with another CRC32C is DataLossError', async () => {
    answerWith({ crc32c: crc32c.crc32c(Buffer.from('abcdeX')) });

    await assert.rejects(client.upload('k', Buffer.from('abcdef')), (error) => {
      assert.ok(error instanceof DataLossError);
      assert.match(error.message, /CRC32C/);
      return true;
    });
  });

  test('a continuation checks the response CRC32C too', async () => {
    answerWith({ crc32c: crc32c.crc32c(Buffer.from('other')) });

    await assert.rejects(
      client.continueResumableUpload('id', Buffer.from('bytes'), { finishWrite: false }),
      DataLossError);
    assert.equal(requests[1].crc32c, crc32c.crc32c(Buffer.from('bytes')));
  });

  test('a response without CRC32C from an older gateway is accepted', async () => {
    answerWith({ size: 6 });

    assert.equal((await client.upload('k', Buffer.from('abcdef'))).size, 6);
  });
});

describe('gateway', () => {
  const target = process.env.OBJGATE_TARGET;
  const opened = [];
  const newClient = (tenantId = `nodetest-${crypto.randomUUID()}`) => {
    const client = new ObjectStorageClient(target, tenantId);
    opened.push(client);
    return client;
  };
  const withCode = (code) => (error) => {
    assert.equal(grpc.status[error.code], grpc.status[code], error.details);
    return true;
  };

  before(() => assert.ok(target, "set OBJGATE_TARGET to the gateway's host:port"));

  afterEach(() => {
    while (opened.length) opened.pop().close();
  });

  test('round trip returns the bytes and checksum uploaded', async () => {
    const client = newClient();
    const data = Buffer.from('hello from node\n');

    const uploaded = await client.upload('docs/hello.txt', data, { contentType: 'text/plain' });
    const { data: received, metadata, trailer } = await client.download('docs/hello.txt');

    assert.deepEqual(received, data);
    assert.equal(uploaded.size, data.length);
    assert.equal(uploaded.sha256, sha256(data));
    assert.equal(uploaded.crc32c, crc32c.crc32c(data));
    assert.equal(metadata.size, data.length);
    assert.equal(metadata.contentType, 'text/plain');
    assert.equal(trailer.sha256, uploaded.sha256);
    assert.equal(trailer.crc32c, crc32c.crc32c(data));
  });

  test('ranged download returns only the range', async () => {
    const client = newClient();
    const data = Buffer.alloc(1024, 0).map((_, i) => i % 256);
    await client.upload('range.bin', data);

    const { data: received, metadata, trailer } =
        await client.download('range.bin', { offset: 100, limit: 50 });

    assert.deepEqual(received, data.subarray(100, 150));
    assert.deepEqual([metadata.offset, metadata.length, metadata.size], [100, 50, data.length]);
    assert.equal(trailer.sha256, sha256(data.subarray(100, 150)));
    const { data: tail } = await client.download('range.bin', { offset: 1000 });
    assert.deepEqual(tail, data.subarray(1000));
  });

  test('download from past the end is OUT_OF_RANGE', async () => {
    const client = newClient();
    await client.upload('short.txt', Buffer.from('12345'));

    await assert.rejects(client.download('short.txt', { offset: 6 }),
                         withCode(grpc.status.OUT_OF_RANGE));
  });

  test('list sends pages of page size in key order', async () => {
    const client = newClient();
    const keys = [5, 1, 4, 2, 3].map((day) => `logs/0${day}.log`);
    for (const key of [...keys, 'other/ignored.log']) await client.upload(key, Buffer.from(key));

    const pages = await collect(client.listPages('logs/', { pageSize: 2 }));

    assert.deepEqual(pages.map((page) => page.entries.map((entry) => entry.key)), [
      ['logs/01.log', 'logs/02.log'],
      ['logs/03.log', 'logs/04.log'],
      ['logs/05.log'],
    ]);
  });

  test('list continues after a key and stops at limit', async () => {
    const client = newClient();
    for (let day = 1; day <= 5; day++) {
      await client.upload(`logs/0${day}.log`, Buffer.alloc(day, 'x'));
    }

    const entries = await collect(client.list('logs/', { startAfter: 'logs/02.log', limit: 2 }));

    assert.deepEqual(entries.map((entry) => [entry.key, entry.size]),
                     [['logs/03.log', 3], ['logs/04.log', 4]]);
  });

  test('list with no match is one empty page', async () => {
    const pages = await collect(newClient().listPages('nothing/'));

    assert.equal(pages.length, 1);
    assert.deepEqual(pages[0].entries, []);
  });

  test('delete removes the object', async () => {
    const client = newClient();
    await client.upload('doomed.txt', Buffer.from('bye'));

    await client.delete('doomed.txt');

    assert.deepEqual(await collect(client.list()), []);
    await assert.rejects(client.download('doomed.txt'), withCode(grpc.status.NOT_FOUND));
  });

  test('missing object is NOT_FOUND for download, delete and stat', async () => {
    const client = newClient();

    await assert.rejects(client.download('missing.txt'), withCode(grpc.status.NOT_FOUND));
    await assert.rejects(client.delete('missing.txt'), withCode(grpc.status.NOT_FOUND));
    await assert.rejects(client.stat('missing.txt'), withCode(grpc.status.NOT_FOUND));
  });

  test('listFolder folds keys below each folder', async () => {
    const client = newClient();
    for (const key of ['a.txt', 'photos/2024/x.jpg', 'photos/y.jpg', 'docs/1', 'z']) {
      await client.upload(key, Buffer.from('x'));
    }

    let { entries, folders } = await client.listFolder();
    assert.deepEqual(entries.map((e) => e.key), ['a.txt', 'z']);
    assert.deepEqual(folders, ['docs/', 'photos/']);

    ({ entries, folders } = await client.listFolder('photos/'));
    assert.deepEqual(entries.map((e) => e.key), ['photos/y.jpg']);
    assert.deepEqual(folders, ['photos/2024/']);
  });

  test('stat describes the object without its bytes', async () => {
    const client = newClient();
    const data = Buffer.from('a,b\n1,2\n');
    const sha256 = crypto.createHash('sha256').update(data).digest('hex');
    const up = await client.upload('t.csv', data,
                                   { contentType: 'text/csv', sha256, metadata: { author: 'ada' } });

    const info = await client.stat('t.csv');

    assert.equal(info.key, 't.csv');
    assert.equal(Number(info.size), data.length);
    assert.equal(info.etag, up.etag);
    assert.equal(info.contentType, 'text/csv');
    assert.equal(info.sha256, sha256);
    assert.ok(Number(info.lastModified.seconds) > 0);
    const { capabilities } = await client.getServerInfo();
    assert.deepEqual(info.metadata, capabilities.includes('user_metadata') ? { author: 'ada' } : {});
  });

  const capabilities = async (client) => (await client.getServerInfo()).capabilities;
  const text = async (client, key) => (await client.download(key)).data.toString();

  test('create-only upload stores a new key and refuses an existing one', async () => {
    const client = newClient();
    if (!(await capabilities(client)).includes('conditional_upload')) {
      await assert.rejects(client.upload('once.txt', Buffer.from('first'), { ifNoneMatch: '*' }),
                           withCode(grpc.status.UNIMPLEMENTED));
      await assert.rejects(client.stat('once.txt'), withCode(grpc.status.NOT_FOUND));
      return;
    }

    const first = await client.upload('once.txt', Buffer.from('first'), { ifNoneMatch: '*' });

    assert.equal(first.size, 5);
    await assert.rejects(client.upload('once.txt', Buffer.from('second'), { ifNoneMatch: '*' }),
                         withCode(grpc.status.FAILED_PRECONDITION));
    assert.equal(await text(client, 'once.txt'), 'first');
    assert.equal((await client.stat('once.txt')).etag, first.etag);
  });

  test('upload with ifMatch replaces only the version named', async () => {
    const client = newClient();
    const first = await client.upload('v.txt', Buffer.from('version 1'));
    if (!(await capabilities(client)).includes('conditional_upload')) {
      await assert.rejects(client.upload('v.txt', Buffer.from('version 2'), { ifMatch: first.etag }),
                           withCode(grpc.status.UNIMPLEMENTED));
      assert.equal(await text(client, 'v.txt'), 'version 1');
      return;
    }
    const current = (await client.stat('v.txt')).etag;
    assert.equal(current, first.etag);

    const second = await client.upload('v.txt', Buffer.from('version 2'), { ifMatch: current });

    assert.equal(await text(client, 'v.txt'), 'version 2');
    assert.notEqual(second.etag, first.etag);
    await assert.rejects(client.upload('v.txt', Buffer.from('version 3'), { ifMatch: first.etag }),
                         withCode(grpc.status.FAILED_PRECONDITION));
    assert.equal(await text(client, 'v.txt'), 'version 2');
    // No object at all is no match either.
    await assert.rejects(client.upload('new.txt', Buffer.from('x'), { ifMatch: first.etag }),
                         withCode(grpc.status.FAILED_PRECONDITION));
    await assert.rejects(client.stat('new.txt'), withCode(grpc.status.NOT_FOUND));
  });

  test('upload with both conditions is INVALID_ARGUMENT', async () => {
    const client = newClient();

    await assert.rejects(
      client.upload('both.txt', Buffer.from('x'), { ifNoneMatch: '*', ifMatch: '0123abcd' }),
      withCode(grpc.status.INVALID_ARGUMENT));
    await assert.rejects(client.stat('both.txt'), withCode(grpc.status.NOT_FOUND));
  });

  test('delete with ifMatch deletes only the version named', async () => {
    const client = newClient();
    const stale = (await client.upload('d.txt', Buffer.from('version 1'))).etag;
    const current = (await client.upload('d.txt', Buffer.from('version 2'))).etag;
    assert.notEqual(stale, current);

    if (!(await capabilities(client)).includes('conditional_delete')) {
      // Refused outright where the store cannot enforce it, whatever the etag.
      await assert.rejects(client.delete('d.txt', { ifMatch: stale }),
                           withCode(grpc.status.UNIMPLEMENTED));
      await assert.rejects(client.delete('d.txt', { ifMatch: current }),
                           withCode(grpc.status.UNIMPLEMENTED));
      assert.equal(await text(client, 'd.txt'), 'version 2');
      return;
    }

    await assert.rejects(client.delete('d.txt', { ifMatch: stale }),
                         withCode(grpc.status.FAILED_PRECONDITION));
    assert.equal(await text(client, 'd.txt'), 'version 2');

    await client.delete('d.txt', { ifMatch: current });

    await assert.rejects(client.stat('d.txt'), withCode(grpc.status.NOT_FOUND));
  });

  test('copy copies bytes, content type and metadata', async () => {
    const client = newClient();
    const data = Buffer.from('id,total\n1,42\n');
    const source = await client.upload('src/orders.csv', data,
                                       { contentType: 'text/csv', metadata: { author: 'ada' } });

    const copied = await client.copy('src/orders.csv', 'dst/orders.csv');

    assert.equal(copied.key, 'dst/orders.csv');
    assert.equal(copied.size, data.length);
    assert.equal(copied.sha256, sha256(data));
    assert.deepEqual((await client.download('dst/orders.csv')).data, data);
    const info = await client.stat('dst/orders.csv');
    assert.equal(info.etag, copied.etag);
    assert.equal(info.contentType, 'text/csv');
    assert.equal(info.sha256, copied.sha256);
    const withMetadata = (await capabilities(client)).includes('user_metadata');
    assert.deepEqual(info.metadata, withMetadata ? { author: 'ada' } : {});
    // The source stays, and sourceIfMatch with its current etag copies too.
    assert.deepEqual((await client.download('src/orders.csv')).data, data);
    const again = await client.copy('src/orders.csv', 'dst/again.csv',
                                    { sourceIfMatch: source.etag });
    assert.equal(again.sha256, sha256(data));
    assert.deepEqual((await client.download('dst/again.csv')).data, data);
  });

  test('copy of a missing source is NOT_FOUND', async () => {
    const client = newClient();

    await assert.rejects(client.copy('missing.txt', 'copy.txt'), withCode(grpc.status.NOT_FOUND));
    await assert.rejects(client.stat('copy.txt'), withCode(grpc.status.NOT_FOUND));
  });

  test('copy with a stale sourceIfMatch is FAILED_PRECONDITION', async () => {
    const client = newClient();
    const stale = (await client.upload('s.txt', Buffer.from('version 1'))).etag;
    await client.upload('s.txt', Buffer.from('version 2'));

    await assert.rejects(client.copy('s.txt', 'copy.txt', { sourceIfMatch: stale }),
                         withCode(grpc.status.FAILED_PRECONDITION));
    await assert.rejects(client.stat('copy.txt'), withCode(grpc.status.NOT_FOUND));
  });

  test('call without tenant is UNAUTHENTICATED', async () => {
    const { ObjectStorage } = loadStorageProto();
    const stub = new ObjectStorage(target, grpc.credentials.createInsecure());

    const call = new Promise((resolve, reject) => {
      stub.delete({ key: 'any.txt' }, { deadline: Date.now() + 30_000 },
                  (error, reply) => (error ? reject(error) : resolve(reply)));
    });

    await assert.rejects(call, withCode(grpc.status.UNAUTHENTICATED));
    stub.close();
  });

  test('malformed tenant is INVALID_ARGUMENT', async () => {
    const client = newClient('no spaces allowed');

    await assert.rejects(client.delete('any.txt'), withCode(grpc.status.INVALID_ARGUMENT));
  });

  test('upload refused before its body is sent fails fast with the gateway status', async () => {
    const client = newClient('no spaces allowed');

    await assert.rejects(client.upload('big.bin', Buffer.alloc(16 * MIB)),
                         withCode(grpc.status.INVALID_ARGUMENT));
  });

  test('tenants do not see each other\'s objects', async () => {
    await newClient().upload('private.txt', Buffer.from('mine'));
    const neighbour = newClient();

    assert.deepEqual(await collect(neighbour.list()), []);
    await assert.rejects(neighbour.download('private.txt'), withCode(grpc.status.NOT_FOUND));
  });

  test('upload with wrong SHA-256 stores nothing', async () => {
    const client = newClient();

    await assert.rejects(
      client.upload('bad.bin', Buffer.from('payload'), { sha256: sha256(Buffer.from('other')) }),
      withCode(grpc.status.INVALID_ARGUMENT));
    await assert.rejects(client.download('bad.bin'), withCode(grpc.status.NOT_FOUND));
  });

  test('multi-MiB object streams both ways with matching SHA-256', async () => {
    const client = newClient();
    const chunks = Array.from({ length: 24 }, () => crypto.randomBytes(256 * 1024)); // 6 MiB
    const sent = crypto.createHash('sha256');
    for (const chunk of chunks) sent.update(chunk);
    const expected = sent.digest('hex');

    // An iterable of chunks goes up as a stream, without a declared size.
    const uploaded = await client.upload('big.bin', chunks.values());
    const reader = await client.downloadStream('big.bin');
    const received = crypto.createHash('sha256');
    let receivedChunks = 0;
    for await (const chunk of reader) {
      received.update(chunk);
      receivedChunks++;
    }

    assert.equal(uploaded.size, 6 * MIB);
    assert.equal(uploaded.sha256, expected);
    assert.equal(received.digest('hex'), expected);
    assert.equal(reader.trailer.sha256, expected);
    assert.equal(reader.trailer.size, 6 * MIB);
    assert.ok(receivedChunks > 1, 'the download should arrive in several messages');
  });

  // Resumable uploads. Where the gateway's capabilities lack 'resumable_upload', each test
  // checks that startResumableUpload is refused with UNIMPLEMENTED instead.

  // Whether the gateway offers resumable uploads; if it does not, asserts that starting
  // one is UNIMPLEMENTED and stores nothing.
  const resumableUploadsWork = async (client) => {
    if ((await capabilities(client)).includes('resumable_upload')) return true;
    await assert.rejects(client.startResumableUpload('resumable.bin', { size: 1 }),
                         withCode(grpc.status.UNIMPLEMENTED));
    await assert.rejects(client.stat('resumable.bin'), withCode(grpc.status.NOT_FOUND));
    return false;
  };

  // A file of `size` random bytes, removed after the test: its path, bytes and SHA-256.
  const writeTempFile = (t, size) => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'objgate-test-'));
    t.after(() => fs.rmSync(directory, { recursive: true, force: true }));
    const filePath = path.join(directory, 'upload.bin');
    const data = crypto.randomBytes(size);
    fs.writeFileSync(filePath, data);
    return { filePath, data, digest: sha256(data) };
  };

  test('resumable upload paused after 12 MiB keeps 8 and uploadFileResumable finishes it',
       async (t) => {
    const client = newClient();
    const size = 20 * MIB + 12345;
    const { filePath, data, digest } = writeTempFile(t, size);
    if (!(await resumableUploadsWork(client))) {
      await assert.rejects(client.uploadFileResumable('videos/big.bin', filePath),
                           withCode(grpc.status.UNIMPLEMENTED));
      await assert.rejects(client.stat('videos/big.bin'), withCode(grpc.status.NOT_FOUND));
      return;
    }
    const { uploadId, partBytes } = await client.startResumableUpload(
      'videos/big.bin', { contentType: 'video/mp4', sha256: digest, size });
    assert.equal(partBytes, 8 * MIB);

    // The first stream sends 12 MiB and stops without finishWrite: the whole part stays.
    const paused = await client.continueResumableUpload(
      uploadId, data.subarray(0, 12 * MIB), { writeOffset: 0, finishWrite: false });

    assert.equal(paused.complete, false);
    assert.equal(paused.persistedSize, partBytes);
    await assert.rejects(client.download('videos/big.bin'), withCode(grpc.status.NOT_FOUND));
    assert.deepEqual(await collect(client.list('videos/')), []);
    const status = await client.queryUploadStatus(uploadId);
    assert.deepEqual([status.persistedSize, status.complete, status.key],
                     [partBytes, false, 'videos/big.bin']);

    // The second continues from the persisted size and completes the object.
    const seen = [];
    const done = await client.uploadFileResumable('videos/big.bin', filePath,
                                                  { uploadId, onUploadId: (id) => seen.push(id) });

    assert.deepEqual(seen, [uploadId]);
    assert.equal(done.complete, true);
    assert.deepEqual([done.key, done.size, done.persistedSize], ['videos/big.bin', size, size]);
    assert.equal(done.sha256, digest);
    const reader = await client.downloadStream('videos/big.bin');
    const received = crypto.createHash('sha256');
    for await (const chunk of reader) received.update(chunk);
    assert.equal(received.digest('hex'), digest);
    assert.equal(reader.metadata.size, size);
    assert.equal(reader.metadata.contentType, 'video/mp4');
    const info = await client.stat('videos/big.bin');
    assert.deepEqual([info.etag, info.sha256], [done.etag, digest]);
  });

  test('uploadFileResumable starts an upload and query then says complete', async (t) => {
    const client = newClient();
    const size = 9 * MIB + 1; // a whole part and one byte
    const { filePath, digest } = writeTempFile(t, size);
    if (!(await resumableUploadsWork(client))) {
      await assert.rejects(client.uploadFileResumable('docs/file.bin', filePath),
                           withCode(grpc.status.UNIMPLEMENTED));
      await assert.rejects(client.stat('docs/file.bin'), withCode(grpc.status.NOT_FOUND));
      return;
    }
    const ids = [];

    const done = await client.uploadFileResumable(
      'docs/file.bin', filePath,
      { contentType: 'application/x-test', onUploadId: (id) => ids.push(id) });

    assert.equal(ids.length, 1);
    assert.equal(done.complete, true);
    assert.equal(done.size, size);
    assert.equal(done.sha256, digest);
    const status = await client.queryUploadStatus(ids[0]);
    assert.equal(status.complete, true);
    assert.deepEqual([status.persistedSize, status.key], [size, 'docs/file.bin']);
    const info = await client.stat('docs/file.bin');
    assert.deepEqual([Number(info.size), info.sha256, info.contentType],
                     [size, digest, 'application/x-test']);
    // Called again (its answer lost, say), it answers the same object and stores nothing
    // new; a completed upload can no longer be cancelled.
    const again = await client.uploadFileResumable('docs/file.bin', filePath, { uploadId: ids[0] });
    assert.equal(again.complete, true);
    assert.deepEqual([again.size, again.etag], [size, done.etag]);
    // So does a last stream sent again with its bytes, which the gateway does not read.
    const lastByte = fs.readFileSync(filePath).subarray(-1);
    const last = await client.continueResumableUpload(ids[0], lastByte, { writeOffset: size - 1 });
    assert.equal(last.complete, true);
    assert.deepEqual([last.size, last.etag], [size, done.etag]);
    await assert.rejects(client.cancelResumableUpload(ids[0]),
                         withCode(grpc.status.FAILED_PRECONDITION));
    // An uploadId is bound to its key.
    await assert.rejects(client.uploadFileResumable('docs/other.bin', filePath,
                                                    { uploadId: ids[0] }),
                         /writes docs\/file.bin, not docs\/other.bin/);
  });

  test('uploadFileResumable continues an upload whose stream broke', async (t) => {
    const client = newClient();
    const size = 12 * MIB;
    const { filePath, data, digest } = writeTempFile(t, size);
    if (!(await resumableUploadsWork(client))) return;
    const { uploadId, partBytes } =
        await client.startResumableUpload('broken.bin', { sha256: digest, size });

    // A transfer that fails part way (a reset, a crash): 10 MiB go up, then the source
    // fails and the stream is abandoned without finishWrite.
    async function* brokenSource() {
      for (let at = 0; at < 10 * MIB; at += 256 * 1024) yield data.subarray(at, at + 256 * 1024);
      throw new Error('the disk went away');
    }
    await assert.rejects(client.continueResumableUpload(uploadId, brokenSource()),
                         /the disk went away/);
    const kept = (await client.queryUploadStatus(uploadId)).persistedSize;
    assert.ok([0, partBytes].includes(kept), `whole parts only, not ${kept} bytes`);

    const done = await client.uploadFileResumable('broken.bin', filePath, { uploadId });

    assert.equal(done.complete, true);
    assert.equal(done.size, size);
    assert.equal(sha256((await client.download('broken.bin')).data), digest);
  });

  test('cancelled resumable upload is NOT_FOUND and stores nothing', async () => {
    const client = newClient();
    if (!(await resumableUploadsWork(client))) return;
    const { uploadId } = await client.startResumableUpload('cancelled.bin');

    await client.cancelResumableUpload(uploadId);

    await assert.rejects(client.queryUploadStatus(uploadId), withCode(grpc.status.NOT_FOUND));
    await assert.rejects(
      client.continueResumableUpload(uploadId, Buffer.from('late bytes'), { writeOffset: 0 }),
      withCode(grpc.status.NOT_FOUND));
    await assert.rejects(client.stat('cancelled.bin'), withCode(grpc.status.NOT_FOUND));
  });

  test('another tenant cannot query or continue a resumable upload', async () => {
    const client = newClient();
    if (!(await resumableUploadsWork(client))) return;
    const { uploadId } = await client.startResumableUpload('mine.bin');
    const neighbour = newClient();

    await assert.rejects(neighbour.queryUploadStatus(uploadId), withCode(grpc.status.NOT_FOUND));
    await assert.rejects(
      neighbour.continueResumableUpload(uploadId, Buffer.from('theirs'), { writeOffset: 0 }),
      withCode(grpc.status.NOT_FOUND));
    await assert.rejects(neighbour.cancelResumableUpload(uploadId),
                         withCode(grpc.status.NOT_FOUND));
    // Still the owner's to finish.
    assert.equal((await client.queryUploadStatus(uploadId)).complete, false);
    await client.continueResumableUpload(uploadId, Buffer.from('my bytes'), { writeOffset: 0 });
    assert.equal(await text(client, 'mine.bin'), 'my bytes');
    await assert.rejects(neighbour.download('mine.bin'), withCode(grpc.status.NOT_FOUND));
  });

  test('resumable writeOffset past the persisted size is OUT_OF_RANGE', async () => {
    const client = newClient();
    if (!(await resumableUploadsWork(client))) return;
    const { uploadId } = await client.startResumableUpload('offsets.bin');

    await assert.rejects(
      client.continueResumableUpload(uploadId, Buffer.from('bytes'), { writeOffset: 10 }),
      withCode(grpc.status.OUT_OF_RANGE));

    assert.equal((await client.queryUploadStatus(uploadId)).persistedSize, 0);
    await client.cancelResumableUpload(uploadId);
  });
});

// A byte changed between the client and the gateway, below TCP's checksum and HTTP/2's
// framing (tests/support/corrupting_proxy), is caught by the CRC32C on each message, and
// nothing corrupted is taken for good.
describe('gateway through a corrupting proxy', () => {
  const target = process.env.OBJGATE_TARGET;
  const data = patternedBytes(3 * MIB);
  // Each test is skipped, and counted so, with the reason.
  const skip = !process.env.OBJGATE_CORRUPTING_PROXY &&
      "set OBJGATE_CORRUPTING_PROXY to tests/support/corrupting_proxy's path " +
      '(tests/polyglot/run.sh does) to run the CRC32C tests against it';

  before(() => assert.ok(target, "set OBJGATE_TARGET to the gateway's host:port"));

  // Clients of one tenant, directly and through the proxy, closed at test end.
  const clientsOf = (t, ...targets) => {
    const tenantId = `nodetest-${crypto.randomUUID()}`;
    const clients = targets.map((address) => new ObjectStorageClient(address, tenantId));
    t.after(() => clients.forEach((client) => client.close()));
    return clients;
  };

  // Starts a proxy to the gateway that corrupts one byte going `direction`, once, after
  // 200000 bytes of DATA payload; resolves to its host:port. Killed at test end.
  const startProxy = async (t, direction) => {
    const proxy = spawn(process.env.OBJGATE_CORRUPTING_PROXY,
                        [`--target=${target}`, `--direction=${direction}`,
                         '--after_data_bytes=200000'],
                        { stdio: ['ignore', 'pipe', 'ignore'] });
    t.after(() => proxy.kill());
    const lines = readline.createInterface({ input: proxy.stdout });
    const [line] = await Promise.race([
      once(lines, 'line'),
      once(proxy, 'exit').then(() => ['(exited)']),
      new Promise((resolve) => setTimeout(resolve, 10_000, ['(no answer in 10 s)']).unref()),
    ]);
    const match = /^listening on (\S+)$/.exec(line);
    assert.ok(match, `corrupting_proxy did not say it was listening: ${line}`);
    return match[1];
  };

  test('download with a corrupted byte is DataLossError and hands on only good bytes', { skip },
       async (t) => {
    const [direct, proxied] = clientsOf(t, target, await startProxy(t, 'to_client'));
    await direct.upload('big.bin', data);

    const handedOn = [];
    await assert.rejects(async () => {
      for await (const chunk of await proxied.downloadStream('big.bin')) handedOn.push(chunk);
    }, (error) => {
      assert.ok(error instanceof DataLossError, error.stack);
      assert.match(error.message, /CRC32C/);
      return true;
    });

    const received = Buffer.concat(handedOn);
    assert.ok(received.length < data.length, 'the whole object was handed on');
    assert.ok(received.equals(data.subarray(0, received.length)), 'handed on a corrupted byte');
    // The proxy corrupts once: the same download through it now succeeds.
    assert.ok((await proxied.download('big.bin')).data.equals(data));
  });

  test('upload with a corrupted byte is DATA_LOSS and stores nothing', { skip }, async (t) => {
    const [direct, proxied] = clientsOf(t, target, await startProxy(t, 'to_server'));

    await assert.rejects(proxied.upload('big.bin', data), (error) => {
      assert.equal(grpc.status[error.code], grpc.status[grpc.status.DATA_LOSS], error.details);
      assert.match(error.details, /CRC32C/);
      return true;
    });

    await assert.rejects(direct.stat('big.bin'), (error) => error.code === grpc.status.NOT_FOUND);
    // The proxy corrupts once: the same upload through it now succeeds.
    const uploaded = await proxied.upload('big.bin', data);
    assert.equal(uploaded.crc32c, crc32c.crc32c(data));
    assert.ok((await direct.download('big.bin')).data.equals(data));
  });
});
