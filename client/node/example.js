'use strict';
// Uploads, downloads, lists and deletes an object through an objgate gateway.
//
//   cd client/node && npm ci
//   node example.js --target=127.0.0.1:50051 --tenant=550e8400-e29b-41d4-a716-446655440000
//
// OBJGATE_TARGET and OBJGATE_TENANT stand in for the flags.

const crypto = require('node:crypto');
const { Readable } = require('node:stream');
const { parseArgs } = require('node:util');
const { IncompleteDownloadError, ObjectStorageClient, describeError } = require('./objgate');

const KEY = 'examples/report.csv';
const CHUNK_BYTES = 64 * 1024;

// Some bytes worth uploading: a CSV large enough to take many chunks.
function makeReport(rows) {
  const lines = ['id,name,score'];
  for (let i = 0; i < rows; i++) lines.push(`${i},user-${i},${(i * 7) % 100}`);
  return Buffer.from(lines.join('\n') + '\n');
}

async function run(client) {
  const info = await client.getServerInfo();
  console.log(`gateway ${info.gatewayVersion} in front of store ${info.version} (${info.status})`);

  const report = makeReport(100_000);
  // Stands in for fs.createReadStream(path, { highWaterMark: CHUNK_BYTES }).
  const source = Readable.from(chunksOf(report, CHUNK_BYTES));
  const uploaded = await client.upload(KEY, source, {
    contentType: 'text/csv',
    sha256: crypto.createHash('sha256').update(report).digest('hex'),
  });
  console.log(`uploaded ${uploaded.key}: ${uploaded.size} bytes in chunks of ${CHUNK_BYTES}, ` +
              `sha256 ${uploaded.sha256}`);

  // The reader checks each chunk's CRC32C before handing it on, then every byte against the
  // trailer's size, CRC32C and SHA-256, and throws IncompleteDownloadError if they disagree
  // or the trailer never comes (its subclass DataLossError for a CRC32C).
  const reader = await client.downloadStream(KEY);
  let receivedBytes = 0;
  let receivedChunks = 0;
  for await (const chunk of reader) { // A real caller would write each chunk to a file here.
    receivedBytes += chunk.length;
    receivedChunks++;
  }
  if (reader.trailer.sha256 !== uploaded.sha256) {
    throw new IncompleteDownloadError(
      `${KEY} came back with SHA-256 ${reader.trailer.sha256}, not ${uploaded.sha256}`);
  }
  console.log(`downloaded ${reader.metadata.key}: ${receivedBytes} bytes in ${receivedChunks} ` +
              `chunks (${reader.metadata.contentType}), trailer sha256 ${reader.trailer.sha256} ` +
              'verified');

  const { data: header } = await client.download(KEY, { limit: 'id,name,score'.length });
  console.log(`downloaded bytes 0-${header.length - 1} of ${KEY}: '${header}'`);

  console.log('objects under examples/:');
  for await (const entry of client.list('examples/')) {
    const modified = new Date(entry.lastModified.seconds * 1000).toISOString();
    console.log(`  ${entry.key}  ${entry.size} bytes  modified ${modified}`);
  }

  await client.delete(KEY);
  let remaining = 0;
  for await (const _ of client.list('examples/')) remaining++;
  console.log(`deleted ${KEY}; ${remaining} objects left under examples/`);
}

function* chunksOf(buffer, chunkBytes) {
  for (let start = 0; start < buffer.length; start += chunkBytes) {
    yield buffer.subarray(start, start + chunkBytes);
  }
}

async function main() {
  const { values: flags } = parseArgs({
    options: {
      target: { type: 'string', default: process.env.OBJGATE_TARGET ?? '127.0.0.1:50051' },
      tenant: {
        type: 'string',
        default: process.env.OBJGATE_TENANT ?? '550e8400-e29b-41d4-a716-446655440000',
      },
    },
  });
  const client = new ObjectStorageClient(flags.target, flags.tenant);
  try {
    await run(client);
  } catch (error) {
    console.error(`example.js: ${describeError(error)}`);
    process.exitCode = 1;
  } finally {
    client.close();
  }
}

main();
