/** mulberry32: a small seeded PRNG for reproducible fuzzing (no Math.random in tests). */
export function prng(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** `count` random byte strings of `length` bytes. */
export function randomStrings(seed: number, count: number, length = 15): Uint8Array[] {
  const next = prng(seed);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const b = new Uint8Array(length);
    for (let j = 0; j < length; j++) b[j] = next() & 0xff;
    out.push(b);
  }
  return out;
}
