// The process around the CLI: argv, environment (with .env), working directory, signals, terminal,
// exit code. This is the only file of the CLI that reads the process (ESLint holds the others to it):
// run.ts and the commands get it as an Invocation and a CommandContext. (The engine, as a library,
// starts pg_dump and pg_restore with this process's environment when a caller passes no `env`.)
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { runInvocation } from './run';

// .env fills in what the real environment does not set; the real environment wins. runInvocation reads it
// (strictly: a line it cannot read is an error) and says when the environment overrode it.
const dotenvFile = existsSync('.env') ? readFileSync('.env') : undefined;

const soft = new AbortController();
const hard = new AbortController();
const onSignal = () => {
  if (!soft.signal.aborted) {
    process.stderr.write(
      '\nStopping: letting what runs finish or roll back, starting nothing new (again to cancel it)\n',
    );
    soft.abort();
  } else if (!hard.signal.aborted) {
    process.stderr.write('\nCancelling what runs\n');
    hard.abort();
  }
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

const code = await runInvocation({
  argv: process.argv.slice(2),
  env: process.env,
  cwd: process.cwd(),
  dotenvFile,
  streams: { stdout: process.stdout, stderr: process.stderr },
  signal: soft.signal,
  hardSignal: hard.signal,
  interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
  // Docker writes /.dockerenv, Podman /run/.containerenv: there, 127.0.0.1 is the container itself.
  inContainer: existsSync('/.dockerenv') || existsSync('/run/.containerenv'),
  ask,
});
// Exit as soon as the output is flushed: an operator's job must never hang on a stray handle.
process.stdout.write('', () => process.exit(soft.signal.aborted && code === 0 ? 1 : code));
