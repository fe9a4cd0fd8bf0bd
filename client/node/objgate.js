'use strict';
// A thin Node layer over the objgate stubs.
//
// The stubs are built at run time by @grpc/proto-loader from proto/storage/v1/storage.proto,
// which stays the contract: every method here takes and returns its messages (with
// camelCase field names), and failures are the gRPC errors grpc-js produces, whose `code`
// and `details` carry the gateway's status. What this module adds is what every caller
// would otherwise repeat: sending the tenant's `x-tenant-id` metadata on each call, cutting
// an upload into chunks with back-pressure, checking every chunk's CRC32C both ways and a
// download against its trailer, turning streams into promises and async iterables, and
// resuming a file's upload from what the store already holds (`uploadFileResumable`).
//
//   const client = new ObjectStorageClient('127.0.0.1:50051', '550e8400-...');
//   await client.upload('greeting.txt', Buffer.from('hello'), { contentType: 'text/plain' });
//   const { data } = await client.download('greeting.txt');
//   client.close();

const crypto = require('node:crypto');
const { once } = require('node:events');
const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const crc32c = require('./crc32c');

const PROTO_ROOT = path.resolve(__dirname, '../../proto');

// The .proto says 64 KiB to 1 MiB per upload message moves data fastest.
const DEFAULT_CHUNK_BYTES = 256 * 1024;

// Loads the `storage.v1` package: `ObjectStorage` (the stub constructor) and its messages.
// google/protobuf/timestamp.proto comes from proto-loader's bundled well-known types.
function loadStorageProto(protoRoot = PROTO_ROOT) {
  const definition = protoLoader.loadSync('storage/v1/storage.proto', {
    includeDirs: [protoRoot],
    // int64 sizes and offsets as plain numbers: exact up to 8 PiB and far handier than Long.
    longs: Number,
    // Unset fields read as their defaults, as in every other proto3 binding.
    defaults: true,
    // Each oneof's name (`kind`) says which of its fields is set. A proto3 `optional` field
    // (the crc32c fields) is no exception: unset, it reads as undefined, never as 0.
    oneofs: true,
  });
  return grpc.loadPackageDefinition(definition).storage.v1;
}

// A Download stream that must not be trusted: it ended without its trailer, or the bytes
// received do not match the trailer's size or SHA-256.
class IncompleteDownloadError extends Error {
  constructor(message) {
    super(message);
    this.name = 'IncompleteDownloadError';
  }
}

// Bytes that failed their CRC32C between the caller and the gateway (DATA_LOSS found by the
// client): a download's data message, whose bytes are never handed on, or its stream as a
// whole; or an upload whose UploadResponse reports another CRC32C than that of the bytes
// sent. An IncompleteDownloadError, so that callers who catch that for a download catch
// this too.
class DataLossError extends IncompleteDownloadError {
  constructor(message) {
    super(message);
    this.name = 'DataLossError';
  }
}

// The bytes of one Download call, in order, checked against the stream's trailer.
//
// Iterating (`for await`) yields the data chunks as Buffers as they arrive, each once its
// CRC32C checks out (DataLossError otherwise, and the chunk is not yielded); after the last
// one the reader compares what it received with the trailer and throws
// IncompleteDownloadError on any mismatch, so a caller that iterates to the end has either
// the whole range or an exception. `open` waits for the first message, so NOT_FOUND and other
// call errors surface there.
class ObjectReader {
  #responses;
  #call;

  // `call`, when given, is cancelled when the reader gives up on the stream.
  constructor(responses, metadata, call = null) {
    this.#responses = responses;
    this.#call = call;
    this.metadata = metadata;
    this.trailer = null;
  }

  // `responses` is the Download call, or any async iterable of DownloadResponse messages.
  static async open(responses) {
    const iterator = responses[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done || first.value.kind !== 'metadata') {
      throw new IncompleteDownloadError('download stream did not start with metadata');
    }
    return new ObjectReader(iterator, first.value.metadata, responses);
  }

  async *[Symbol.asyncIterator]() {
    const hash = crypto.createHash('sha256');
    let streamCrc32c = 0;
    let received = 0;
    for (let next = await this.#responses.next(); !next.done; next = await this.#responses.next()) {
      const response = next.value;
      if (response.kind === 'data') {
        // Checked before the bytes go anywhere; an older gateway sends no CRC32C.
        const dataCrc32c = crc32c.crc32c(response.data);
        if (response.crc32c !== undefined && response.crc32c !== dataCrc32c) {
          // The gateway would go on sending what will never be read.
          if (typeof this.#call?.cancel === 'function') this.#call.cancel();
          throw new DataLossError(
            `download of ${this.metadata.key}: the data message at offset ` +
            `${this.metadata.offset + received} (${response.data.length} bytes) has CRC32C ` +
            `${crc32c.toHex(dataCrc32c)} but the gateway sent ${crc32c.toHex(response.crc32c)}: ` +
            'corrupted on its way; its bytes were not used');
        }
        streamCrc32c = crc32c.combine(streamCrc32c, dataCrc32c, response.data.length);
        hash.update(response.data);
        received += response.data.length;
        yield response.data;
      } else if (response.kind === 'trailer') {
        this.#check(response.trailer, received, streamCrc32c, hash.digest('hex'));
        this.trailer = response.trailer;
        return;
      }
    }
    throw new IncompleteDownloadError(
      `download of ${this.metadata.key} ended without a trailer after ${received} bytes`);
  }

  // Reads the rest of the stream into one Buffer.
  async read() {
    const chunks = [];
    for await (const chunk of this) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  #check(trailer, received, streamCrc32c, sha256) {
    const { key, length, offset } = this.metadata;
    if (trailer.size !== received || trailer.size !== length) {
      throw new IncompleteDownloadError(
        `download of ${key}: received ${received} bytes, metadata promised ${length} and the ` +
        `trailer says ${trailer.size}`);
    }
    // A lost, repeated or reordered message passes every message's own CRC32C.
    if (trailer.crc32c !== undefined && trailer.crc32c !== streamCrc32c) {
      throw new DataLossError(
        `download of ${key}: CRC32C of the ${received} bytes received from offset ${offset} ` +
        `is ${crc32c.toHex(streamCrc32c)}, the trailer says ${crc32c.toHex(trailer.crc32c)}`);
    }
    if (trailer.sha256 !== sha256) {
      throw new IncompleteDownloadError(
        `download of ${key}: SHA-256 of the bytes received is ${sha256}, the trailer says ` +
        `${trailer.sha256}`);
    }
  }
}

function* chunksOf(buffer, chunkBytes) {
  for (let start = 0; start < buffer.length; start += chunkBytes) {
    yield buffer.subarray(start, start + chunkBytes);
  }
}

function objectSpec(key, { contentType, sha256, metadata, size, ifNoneMatch, ifMatch }) {
  const spec = { key, contentType, sha256, metadata, ifNoneMatch, ifMatch };
  if (size !== undefined) spec.size = size;
  return spec;
}

// The size and SHA-256 (hex) of the file at `filePath`, read as a stream.
async function fileSizeAndSha256(filePath) {
  const hash = crypto.createHash('sha256');
  let size = 0;
  for await (const chunk of fs.createReadStream(filePath, { highWaterMark: 1024 * 1024 })) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex') };
}

// Calls one tenant's objects through an objgate gateway.
class ObjectStorageClient {
  #stub;
  #tenantMetadata;
  #deadlineMs;

  // `target` is "host:port". Options: `credentials` (plaintext by default) and `deadlineMs`,
  // the deadline of each call (30 s by default; Infinity for none).
  constructor(target, tenantId, { credentials = grpc.credentials.createInsecure(),
                                  deadlineMs = 30_000 } = {}) {
    const { ObjectStorage } = loadStorageProto();
    this.#stub = new ObjectStorage(target, credentials);
    this.#tenantMetadata = new grpc.Metadata();
    this.#tenantMetadata.set('x-tenant-id', tenantId);
    this.#deadlineMs = deadlineMs;
  }

  close() {
    this.#stub.close();
  }

  // Stores `data` under `key` and resolves to the UploadResponse.
  //
  // `data` is either the whole object as a Buffer, sent in DEFAULT_CHUNK_BYTES messages with
  // its size declared, or an iterable or async iterable of Buffers (a fs.ReadStream, say)
  // that is streamed as it is produced, waiting whenever the channel asks it to. `size` and
  // `sha256`, when given, make the gateway reject bytes that do not match them and store
  // nothing. Every message carries its CRC32C, which the gateway checks (DATA_LOSS, nothing
  // stored); an answer whose CRC32C is not that of the bytes sent throws DataLossError.
  //
  // Conditions, at most one, enforced by the store in the write itself: `ifNoneMatch: '*'`
  // stores the object only if `key` does not exist yet (create only); `ifMatch: etag` (as
  // upload or stat returned it) only if the object under `key` is still that version.
  // Either fails with FAILED_PRECONDITION otherwise, and with UNIMPLEMENTED where the
  // gateway's capabilities lack 'conditional_upload'.
  async upload(key, data, { contentType = '', sha256 = '', metadata = {}, size,
                            ifNoneMatch = '', ifMatch = '' } = {}) {
    if (Buffer.isBuffer(data)) size ??= data.length;
    const spec = objectSpec(key, { contentType, sha256, metadata, size, ifNoneMatch, ifMatch });
    return this.#send({ spec }, data, { finishWrite: true });
  }

  // Starts a resumable upload of `key` and resolves to `{ uploadId, partBytes }`.
  //
  // Nothing is visible under `key` until an upload stream with `finishWrite` completes it
  // (continueResumableUpload, uploadFileResumable). The store keeps the bytes in parts of
  // `partBytes`, so a stream that stops keeps every whole part sent. The options are
  // upload's; `size` and `sha256` are checked at completion. The id is opaque and bound to
  // this tenant and `key`: keep it to continue, query or cancel the upload, from this
  // process or any other, through any gateway in front of the same store. Fails with
  // UNIMPLEMENTED where the gateway's capabilities lack 'resumable_upload'.
  async startResumableUpload(key, { contentType = '', sha256 = '', metadata = {}, size,
                                    ifNoneMatch = '', ifMatch = '' } = {}) {
    const spec = objectSpec(key, { contentType, sha256, metadata, size, ifNoneMatch, ifMatch });
    const { uploadId, partBytes } =
        await this.#unary('startResumableUpload', { spec }, this.#tenantMetadata);
    return { uploadId, partBytes };
  }

  // How much of a resumable upload the store holds: resolves to `{ persistedSize, complete,
  // key }`, where the next stream continues from `persistedSize`. NOT_FOUND once the upload
  // is cancelled or expired, or for another tenant's upload.
  queryUploadStatus(uploadId) {
    return this.#unary('queryUploadStatus', { uploadId }, this.#tenantMetadata);
  }

  // Abandons a resumable upload and removes its parts; nothing is stored under its key.
  // NOT_FOUND when there is no such upload, FAILED_PRECONDITION once complete.
  async cancelResumableUpload(uploadId) {
    await this.#unary('cancelResumableUpload', { uploadId }, this.#tenantMetadata);
  }

  // One stream of a resumable upload: `data` (a Buffer, or an iterable or async iterable of
  // Buffers) is the object's bytes from `writeOffset` on.
  //
  // With `finishWrite` (the default) the stream completes the object and the response
  // carries `complete`, `size`, `etag` and `sha256`. With `finishWrite: false` it pauses
  // the upload: the response's `persistedSize` says what the store kept (whole parts only;
  // the rest must be sent again) and `complete` is false. `writeOffset` may be below the
  // persisted size (the bytes the store holds are skipped), not above it (OUT_OF_RANGE).
  continueResumableUpload(uploadId, data, { writeOffset = 0, finishWrite = true } = {}) {
    return this.#send({ uploadId, writeOffset }, data, { finishWrite });
  }

  // Uploads the file at `filePath` to `key` so that a failed call can be continued rather
  // than started over, and resolves to the completing UploadResponse.
  //
  // Without `uploadId` it reads the file once for its SHA-256 and size, and starts a
  // resumable upload that declares both (so the object is checked at completion) with
  // `contentType`, `metadata` and the conditions. `onUploadId`, when given, is then called
  // (and awaited) with the upload's id, the new one or the one given, before any byte is
  // sent: save it. The call asks the store how much it holds, and streams the file from
  // there with `finishWrite`.
  //
  // If the call fails (UNAVAILABLE, DEADLINE_EXCEEDED, the process died), call it again with
  // the saved `uploadId` and the same file: it continues from the bytes the store kept. An
  // upload that had completed already resolves to its object again. Give up on one with
  // cancelResumableUpload. With `uploadId`, `contentType`, `metadata` and the conditions are
  // those given at its start, and one that writes another key than `key` is an Error. The
  // client's `deadlineMs` bounds the stream as a whole: give a large file's client a longer
  // one (or Infinity).
  async uploadFileResumable(key, filePath, { uploadId, contentType = '', metadata = {},
                                             ifNoneMatch = '', ifMatch = '', onUploadId,
                                             chunkBytes = DEFAULT_CHUNK_BYTES } = {}) {
    if (uploadId === undefined) {
      const { size, sha256 } = await fileSizeAndSha256(filePath);
      ({ uploadId } = await this.startResumableUpload(
        key, { contentType, metadata, sha256, size, ifNoneMatch, ifMatch }));
    }
    if (onUploadId) await onUploadId(uploadId);
    const status = await this.queryUploadStatus(uploadId);
    if (status.key !== key) {
      throw new Error(`upload ${uploadId} writes ${status.key}, not ${key}`);
    }
    const file = fs.createReadStream(filePath, { start: status.persistedSize,
                                                 highWaterMark: chunkBytes });
    try {
      return await this.continueResumableUpload(uploadId, file,
                                                { writeOffset: status.persistedSize });
    } finally {
      file.destroy();
    }
  }

  // One Upload stream: `first`, then `data` in messages, then, with `finishWrite`, the
  // explicit end; resolves to the UploadResponse.
  async #send(first, data, { finishWrite }) {
    const chunks = Buffer.isBuffer(data) ? chunksOf(data, DEFAULT_CHUNK_BYTES) : data;
    let call;
    const response = new Promise((resolve, reject) => {
      call = this.#stub.upload(this.#tenantMetadata, this.#callOptions(),
                               (error, reply) => (error ? reject(error) : resolve(reply)));
    });
    // Waits out back-pressure, but gives up as soon as the call ends: a gateway that has
    // already answered (INVALID_ARGUMENT, say) will never ask for more.
    const write = async (message) => {
      if (!call.write(message)) await Promise.race([once(call, 'drain'), response]);
    };
    // Of the bytes sent, for the response's CRC32C.
    let sentCrc32c = 0;
    let sentBytes = 0;
    try {
      await write(first);
      for await (const chunk of chunks) {
        // The gateway checks it before passing any of the bytes on (DATA_LOSS).
        const chunkCrc32c = crc32c.crc32c(chunk);
        sentCrc32c = crc32c.combine(sentCrc32c, chunkCrc32c, chunk.length);
        sentBytes += chunk.length;
        await write({ data: chunk, crc32c: chunkCrc32c });
      }
      // The explicit end: a stream that merely stops stores nothing, or, continuing a
      // resumable upload, pauses it.
      if (finishWrite) await write({ finishWrite: true });
      call.end();
    } catch (error) {
      call.cancel();
      // The call's own outcome (CANCELLED, or the status that stopped the writes) is not
      // what the caller needs to see; `error` is.
      response.catch(() => {});
      throw error;
    }
    const reply = await response;
    // Each message passed its own check, so a difference here is a message lost, repeated
    // or reordered on the way. No CRC32C: an older gateway, or a resumable upload completed
    // earlier and answered again without reading the stream.
    if (reply.crc32c !== undefined && reply.crc32c !== sentCrc32c) {
      throw new DataLossError(
        `upload of ${reply.key}: the gateway received bytes with CRC32C ` +
        `${crc32c.toHex(reply.crc32c)}, but the ${sentBytes} bytes sent have ` +
        `${crc32c.toHex(sentCrc32c)}; what it stored cannot be trusted`);
    }
    return reply;
  }

  // Starts reading `key` (or `limit` bytes of it from `offset`; 0 means to the end) and
  // resolves to an ObjectReader that yields its chunks as they arrive.
  downloadStream(key, { offset = 0, limit = 0, ifMatch = '' } = {}) {
    const call = this.#stub.download({ key, offset, limit, ifMatch }, this.#tenantMetadata,
                                     this.#callOptions());
    return ObjectReader.open(call);
  }

  // Reads `key` (or a range of it) into memory, checked against the trailer; resolves to
  // `{ data, metadata, trailer }`.
  async download(key, options = {}) {
    const reader = await this.downloadStream(key, options);
    const data = await reader.read();
    return { data, metadata: reader.metadata, trailer: reader.trailer };
  }

  // The listing as the gateway sends it: an async iterable of ListResponse pages of at most
  // `pageSize` entries.
  // With `delimiter` (usually '/'), keys below a folder are folded into the pages'
  // `prefixes` ('photos/'), each once.
  listPages(prefix = '', { pageSize = 0, startAfter = '', limit = 0, delimiter = '' } = {}) {
    return this.#stub.list({ prefix, pageSize, startAfter, limit, delimiter },
                           this.#tenantMetadata, this.#callOptions());
  }

  // One level of a folder tree: the entries directly under `prefix` and the folders
  // (common prefixes) below it, each in key order.
  async listFolder(prefix = '', { delimiter = '/' } = {}) {
    const entries = [];
    const folders = [];
    for await (const page of this.listPages(prefix, { delimiter })) {
      entries.push(...page.entries);
      folders.push(...page.prefixes);
    }
    return { entries, folders };
  }

  // The entries under `prefix` in key order, however many pages they span.
  async *list(prefix = '', { startAfter = '', limit = 0 } = {}) {
    for await (const page of this.listPages(prefix, { startAfter, limit })) {
      yield* page.entries;
    }
  }

  // What the store knows of `key` without its bytes: size, etag, contentType,
  // lastModified, the stored sha256 and user metadata (where the store keeps it).
  stat(key) {
    return this.#unary('stat', { key }, this.#tenantMetadata);
  }

  // Deletes `key`; with `ifMatch`, only if its etag is still that one (FAILED_PRECONDITION
  // otherwise, UNIMPLEMENTED where the gateway's capabilities lack 'conditional_delete').
  async delete(key, { ifMatch = '' } = {}) {
    await this.#unary('delete', { key, ifMatch }, this.#tenantMetadata);
  }

  // Copies `sourceKey` to `destinationKey` within the tenant, with its content type, user
  // metadata and stored SHA-256, without the bytes passing through the caller; with
  // `sourceIfMatch`, only if the source's etag is still that one (FAILED_PRECONDITION
  // otherwise). Resolves to the CopyResponse: the destination's key, size, etag and sha256.
  copy(sourceKey, destinationKey, { sourceIfMatch = '' } = {}) {
    return this.#unary('copy', { sourceKey, destinationKey, sourceIfMatch },
                       this.#tenantMetadata);
  }

  getServerInfo() {
    return this.#unary('getServerInfo', {}, new grpc.Metadata());
  }

  health() {
    return this.#unary('health', {}, new grpc.Metadata());
  }

  #unary(method, request, metadata) {
    return new Promise((resolve, reject) => {
      this.#stub[method](request, metadata, this.#callOptions(),
                         (error, reply) => (error ? reject(error) : resolve(reply)));
    });
  }

  #callOptions() {
    return { deadline: Date.now() + this.#deadlineMs };
  }
}

// "NOT_FOUND: object x not found" for a gRPC error; the message for anything else.
function describeError(error) {
  if (typeof error.code === 'number' && grpc.status[error.code] !== undefined) {
    return `${grpc.status[error.code]}: ${error.details}`;
  }
  return error.message;
}

module.exports = {
  DEFAULT_CHUNK_BYTES,
  DataLossError,
  IncompleteDownloadError,
  ObjectReader,
  ObjectStorageClient,
  describeError,
  loadStorageProto,
};
