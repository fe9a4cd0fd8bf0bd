'use strict';
// CRC32C (Castagnoli), the checksum the gateway puts on every data message, in plain
// JavaScript so that the client needs no native module: slice-by-8 over eight 256-entry
// tables, several hundred MiB/s. `combine` joins two CRCs without reading the bytes again,
// so a stream's CRC costs nothing beyond its messages'.
//
//   extend(0, Buffer.from('123456789')) === 0xe3069283
//   extend(extend(0, a), b) === extend(0, Buffer.concat([a, b]))
//   combine(extend(0, a), extend(0, b), b.length) === extend(0, Buffer.concat([a, b]))

// The polynomial 0x1EDC6F41, bit-reversed: bit 31 stands for x^0.
const POLY = 0x82f63b78;

// TABLES[k][n]: the CRC register after byte n followed by k zero bytes. Int32Array keeps
// every entry a small integer to V8, where Uint32Array's upper half would be doubles.
const TABLES = Array.from({ length: 8 }, () => new Int32Array(256));
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  TABLES[0][n] = c;
}
for (let n = 0; n < 256; n++) {
  for (let k = 1; k < 8; k++) {
    TABLES[k][n] = TABLES[0][TABLES[k - 1][n] & 0xff] ^ (TABLES[k - 1][n] >>> 8);
  }
}
const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES;

// The CRC32C of the bytes whose CRC32C is `crc` followed by `bytes` (a Buffer or
// Uint8Array); 0 is the CRC of no bytes. An unsigned 32-bit number, like the proto's fixed32.
function extend(crc, bytes) {
  let c = ~crc;
  let i = 0;
  const end = bytes.length - (bytes.length % 8);
  for (; i < end; i += 8) {
    c ^= bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    const high = bytes[i + 4] | (bytes[i + 5] << 8) | (bytes[i + 6] << 16) | (bytes[i + 7] << 24);
    c = T7[c & 0xff] ^ T6[(c >>> 8) & 0xff] ^ T5[(c >>> 16) & 0xff] ^ T4[c >>> 24] ^
        T3[high & 0xff] ^ T2[(high >>> 8) & 0xff] ^ T1[(high >>> 16) & 0xff] ^ T0[high >>> 24];
  }
  for (; i < bytes.length; i++) c = T0[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

// The CRC32C of `bytes`.
function crc32c(bytes) {
  return extend(0, bytes);
}

// a * b modulo the polynomial, both in the CRC's bit order (zlib's multmodp); `a` nonzero.
function multiplyModP(a, b) {
  let product = 0;
  for (let m = 0x80000000; ; m >>>= 1) {
    if (a & m) {
      product ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return product >>> 0;
}

// X_POW_2N[k]: x^(2^k) modulo the polynomial, one squaring after another, for every bit of
// a length up to Number.MAX_SAFE_INTEGER bytes (k = 3 is a byte's 8 bits).
const X_POW_2N = new Uint32Array(64);
X_POW_2N[0] = 0x40000000; // x^1
for (let k = 1; k < 64; k++) X_POW_2N[k] = multiplyModP(X_POW_2N[k - 1], X_POW_2N[k - 1]);

// The CRC32C of A followed by B, from A's CRC, B's CRC and B's length in bytes: A's CRC
// times x^(8 * length), the effect of `length` zero bytes, plus B's.
function combine(crcA, crcB, lengthB) {
  let power = 0x80000000; // x^0
  // Number arithmetic rather than >>>, which would cut lengths of 4 GiB and more.
  for (let n = lengthB, k = 3; n > 0; n = Math.floor(n / 2), k++) {
    if (n % 2) power = multiplyModP(X_POW_2N[k], power);
  }
  return (multiplyModP(power, crcA) ^ crcB) >>> 0;
}

// "0xe3069283": how the gateway writes a CRC32C in its messages.
function toHex(crc) {
  return `0x${crc.toString(16).padStart(8, '0')}`;
}

module.exports = { combine, crc32c, extend, toHex };
