// The CLI run in the test's own process (src/cli/run.ts, what bin/migrate-tool.js calls), for tests
// that check what a command does rather than how the process starts: no node start-up per call.
// Like the spawned CLI, every call checks that the password never shows up in what it printed.
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/run';
import { assertNoPassword } from './cli';

/** `inContainer`: as main.ts would detect it (connection advice depends on it). */
export async function inProcess(argv: string[], env: Record<string, string>, inContainer = false): Promise<{ code: number; stdout: string; stderr: string }> {
  const [stdout, stderr] = [new PassThrough(), new PassThrough()];
  let [out, err] = ['', ''];
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await runCli({
    argv,
    env,
    inContainer,
    streams: { stdout, stderr },
    signal: new AbortController().signal,
    hardSignal: new AbortController().signal,
    interactive: false,
    ask: async () => '',
  });
  const result = { code, stdout: out, stderr: err };
  assertNoPassword(result, env);
  return result;
}
