import * as assert from 'assert';
import { compile, evaluate, ExprEnv, ExprError, parseNumber } from '../../src/debug/expr';

/** A flat memory of 64 KiB from 0x1000 and a few names, the shape a vCPU's environment has. */
function env(names: Record<string, number>, mem: Map<number, number> = new Map()): ExprEnv {
  return {
    lookup: (n) => names[n],
    read: (a, size) => {
      let v = 0;
      for (let i = size - 1; i >= 0; i--) {
        const b = mem.get(a + i);
        if (b === undefined) return undefined;
        v = v * 256 + b;
      }
      return v;
    },
  };
}

describe('debug/expr', () => {
  it('reads numbers the way NASM writes them', () => {
    assert.strictEqual(parseNumber('42'), 42);
    assert.strictEqual(parseNumber('0x2A'), 42);
    assert.strictEqual(parseNumber('2ah'), 42);
    assert.strictEqual(parseNumber('0b101010'), 42);
    assert.strictEqual(parseNumber('0o52'), 42);
    assert.strictEqual(parseNumber('0x100000000'), undefined);
    assert.strictEqual(evaluate("'AB'", env({})), 0x4241);
  });

  it('follows C precedence over 32-bit unsigned values', () => {
    const e = env({});
    assert.strictEqual(evaluate('1 + 2 * 3', e), 7);
    assert.strictEqual(evaluate('(1 + 2) * 3', e), 9);
    assert.strictEqual(evaluate('1 << 4 | 1', e), 17);
    assert.strictEqual(evaluate('-1', e), 0xffffffff);
    assert.strictEqual(evaluate('0 - 1 == 0xffffffff', e), 1);
    assert.strictEqual(evaluate('~0 >> 28', e), 15);
    assert.strictEqual(evaluate('0x80000000 * 2', e), 0);
    assert.strictEqual(evaluate('0xffffffff * 0xffffffff', e), 1);
    assert.strictEqual(evaluate('7 / 2 + 7 % 2', e), 4);
    assert.strictEqual(evaluate('1 < 2 && 3 >= 3 || 0', e), 1);
    assert.strictEqual(evaluate('!5 + !0', e), 1);
    assert.strictEqual(evaluate('6 ^ 3 & 1', e), 7);
  });

  it('resolves names and memory operands', () => {
    const mem = new Map<number, number>([
      [0x2004, 0x78],
      [0x2005, 0x56],
      [0x2006, 0x34],
      [0x2007, 0x12],
    ]);
    const e = env({ esp: 0x2000, cmd: 4, EVTCHNOP_send: 4, port: 3 }, mem);
    assert.strictEqual(evaluate('[esp+4]', e), 0x12345678);
    assert.strictEqual(evaluate('dword [esp+4]', e), 0x12345678);
    assert.strictEqual(evaluate('word [esp + 4]', e), 0x5678);
    assert.strictEqual(evaluate('byte [0x2007]', e), 0x12);
    assert.strictEqual(evaluate('cmd == EVTCHNOP_send && port == 3', e), 1);
    assert.strictEqual(evaluate('cmd == EVTCHNOP_send && port == 4', e), 0);
  });

  it('short-circuits so a guard protects a memory read', () => {
    const e = env({ ecx: 0 });
    assert.strictEqual(evaluate('ecx != 0 && [ecx] == 1', e), 0);
    assert.throws(() => evaluate('[ecx] == 1', e), /not mapped/);
  });

  it('names the column of a syntax error and the unknown name', () => {
    assert.throws(() => compile('eax +'), (e: ExprError) => e instanceof ExprError && /ends too soon/.test(e.message));
    assert.throws(() => compile('eax + )'), (e: ExprError) => e.col === 7);
    assert.throws(() => compile('[eax'), /expected '\]'/);
    assert.throws(() => compile('1 # 2'), (e: ExprError) => e.col === 3);
    assert.throws(() => compile('12zz'), /not a number/);
    assert.throws(() => evaluate('nosuch + 1', env({})), /'nosuch' is not a register, symbol or constant/);
    assert.throws(() => evaluate('1 / 0', env({})), /division by zero/);
  });

  it('lists the names an expression depends on', () => {
    const c = compile('ebx == 4 && [esp+4] != port');
    assert.deepStrictEqual([...c.names].sort(), ['ebx', 'esp', 'port']);
    assert.strictEqual(c.readsMemory, true);
    assert.strictEqual(compile('eax').readsMemory, false);
  });

  it('agrees with JavaScript on random arithmetic (seeded)', () => {
    let seed = 12345;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % 1000;
    const ops: Array<[string, (a: number, b: number) => number]> = [
      ['+', (a, b) => (a + b) >>> 0],
      ['-', (a, b) => (a - b) >>> 0],
      ['&', (a, b) => (a & b) >>> 0],
      ['|', (a, b) => (a | b) >>> 0],
      ['^', (a, b) => (a ^ b) >>> 0],
      ['<', (a, b) => (a < b ? 1 : 0)],
    ];
    for (let i = 0; i < 500; i++) {
      const a = rnd();
      const b = rnd();
      const [op, f] = ops[rnd() % ops.length];
      assert.strictEqual(evaluate(`${a} ${op} ${b}`, env({})), f(a, b), `${a} ${op} ${b}`);
    }
  });
});
