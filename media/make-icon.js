// Draws media/icon.png (128x128): a chip outline with Xen's "X" in it. Run: node media/make-icon.js
// Written out rather than drawn in a tool so the icon can be rebuilt and reviewed as text.
const fs = require('fs');
const zlib = require('zlib');
const path = require('path');

const N = 128;
const px = Buffer.alloc(N * N * 4);
const set = (x, y, [r, g, b, a]) => {
  if (x < 0 || y < 0 || x >= N || y >= N) return;
  const i = (y * N + x) * 4;
  px[i] = r; px[i + 1] = g; px[i + 2] = b; px[i + 3] = a;
};
const BG = [0x1b, 0x2a, 0x4a, 255];
const CHIP = [0x2f, 0x6f, 0xd0, 255];
const PIN = [0x9d, 0xb8, 0xe0, 255];
const X = [0xff, 0xff, 0xff, 255];
for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) {
  // rounded square background
  const cx = Math.max(0, Math.abs(x - 63.5) - 48), cy = Math.max(0, Math.abs(y - 63.5) - 48);
  if (cx * cx + cy * cy <= 16 * 16) set(x, y, BG);
}
// chip body and pins
for (let y = 30; y < 98; y++) for (let x = 30; x < 98; x++) set(x, y, CHIP);
for (let k = 0; k < 5; k++) {
  const o = 38 + k * 13;
  for (let a = 0; a < 6; a++) for (let b = 0; b < 12; b++) {
    set(o + a, 18 + b, PIN); set(o + a, 98 + b, PIN); set(18 + b, o + a, PIN); set(98 + b, o + a, PIN);
  }
}
// the X: two thick diagonals
for (let y = 40; y < 88; y++) for (let x = 40; x < 88; x++) {
  if (Math.abs(x - y) <= 5 || Math.abs(x + y - 127) <= 5) set(x, y, X);
}

const raw = Buffer.alloc(N * (N * 4 + 1));
for (let y = 0; y < N; y++) px.copy(raw, y * (N * 4 + 1) + 1, y * N * 4, (y + 1) * N * 4);
const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
const chunk = (type, data) => {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
  return Buffer.concat([len, td, c]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(N, 0); ihdr.writeUInt32BE(N, 4); ihdr[8] = 8; ihdr[9] = 6;
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
fs.writeFileSync(path.join(__dirname, 'icon.png'), png);
