// A WAL position as text (`16/B374D848`: the high and low 32 bits, in hex) read as one number, so
// that positions compare as the server compares them, across the 4 GB boundary of the low half.
import { describe, expect, it } from 'vitest';
import { lsnValue } from '../../src/db/replica-lag';

describe('lsnValue', () => {
  it('reads both halves in hex', () => {
    expect(lsnValue('16/B374D848')).toBe(0x16b374d848n);
    expect(lsnValue('0/0')).toBe(0n);
  });

  it('orders positions as the server does, where comparing the text would not', () => {
    expect(lsnValue('0/FFFFFFFF') < lsnValue('1/0')).toBe(true);
    expect(lsnValue('0/9000000') < lsnValue('0/10000000')).toBe(true);
    expect('0/9000000' < '0/10000000').toBe(false);
  });
});
