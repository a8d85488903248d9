import { expect } from 'vitest';
import type { MigrateToolError } from '../../src/errors';

/** The error a promise rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<MigrateToolError> {
  try {
    await promise;
  } catch (error) {
    return error as MigrateToolError;
  }
  expect.unreachable('expected the promise to reject');
  throw new Error('unreachable');
}
