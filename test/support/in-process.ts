// The CLI run in the test's own process, with the container detection set as main.ts would set it:
// a short form of runCli() (test/support/cli.ts) for tests that pass only arguments and environment.
import { runCli } from './cli';

/** `inContainer`: as main.ts would detect it (connection advice depends on it). */
export async function inProcess(
  argv: string[],
  env: Record<string, string>,
  inContainer = false,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await runCli(argv, { env, inContainer });
  return { code: r.code ?? 1, stdout: r.stdout, stderr: r.stderr };
}
