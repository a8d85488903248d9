// A flag that may be repeated keeps every value, in order, whichever way it is written; text after
// `--` is positional, never a flag, even when it looks like one.
import { describe, expect, test } from 'vitest';
import { GLOBAL_FLAGS, parseArgs } from '../../src/cli/args';

describe('repeated flags', () => {
  test('--target keeps every value, in the order given, in each spelling', () => {
    const args = parseArgs(['up', '--target', 'eu-1', '--target=us-1', '-target=region=ap', '--json'], GLOBAL_FLAGS);
    expect(args.lists.target).toEqual(['eu-1', 'us-1', 'region=ap']);
    expect(args.flags.json).toBe(true);
  });

  test('after --, a word that looks like a flag is a positional', () => {
    const args = parseArgs(['up', '--targets', 'fleet.json', '--', '--target', 'eu-1'], GLOBAL_FLAGS);
    expect(args.lists.target).toBeUndefined();
    expect(args.positionals).toEqual(['--target', 'eu-1']);
  });

  test('a flag that is not repeatable keeps its last value and no list', () => {
    const args = parseArgs(['up', '--dir', 'a', '--dir', 'b'], GLOBAL_FLAGS);
    expect(args.flags.dir).toBe('b');
    expect(args.lists.dir).toBeUndefined();
  });
});
