// --soak and --gate: a staged rollout that no one watches (a job in compose, Dokploy, Kubernetes)
// waits after each stage, then asks a command of the operator's (a health check, an error-rate
// query) whether the next stage may start. Exit 0 lets it; anything else stops the rollout.
import { spawn } from 'node:child_process';
import { setTimeout as wait } from 'node:timers/promises';
import type { Stage } from '../index';
import { duration } from './format';
import type { Output } from './output';

export interface GateRecord {
  ok: boolean;
  exitCode: number | null;
  ms: number;
  output: string;
}

/** Kept from the gate's output when it fails: its end, where the reason usually is. */
const OUTPUT_LIMIT = 64 * 1024;

export interface GateContext {
  out: Output;
  env: Record<string, string | undefined>;
  signal: AbortSignal;
}

/** The rollout's afterStage hook: soak, then the gate; each stage's gate result is kept in `records` by label. */
export function soakAndGate(
  spec: { soakMs?: number; gate?: string },
  ctx: GateContext,
  records: Map<string, GateRecord>,
) {
  return async (stage: Stage): Promise<boolean> => {
    if (spec.soakMs) {
      ctx.out.print(`Soaking ${duration(spec.soakMs)} after ${stage.label}${spec.gate ? ', then the gate' : ''}...`);
      await wait(spec.soakMs, undefined, { signal: ctx.signal }).catch(() => undefined); // Ctrl-C ends the soak; the rollout stops
      if (ctx.signal.aborted) return false;
    }
    if (!spec.gate) return true;
    const gate = await runGate(spec.gate, stage.label, ctx);
    records.set(stage.label, gate);
    const how = `${gate.exitCode === null ? 'was stopped' : `exit ${gate.exitCode}`}, ${duration(gate.ms)}`;
    if (gate.ok) {
      ctx.out.print(`Gate after ${stage.label}: passed (${how})`);
      return true;
    }
    ctx.out.print(`Gate after ${stage.label} FAILED (${how}); its output:`);
    for (const line of gate.output.trimEnd().split('\n')) ctx.out.print(`  | ${line}`);
    return false;
  };
}

/** The gate through the shell, its stdout and stderr together; the stage is in MIGRATE_ROLLOUT_STAGE. */
async function runGate(command: string, label: string, ctx: GateContext): Promise<GateRecord> {
  const started = performance.now();
  const child = spawn(command, {
    shell: true,
    env: { ...ctx.env, MIGRATE_ROLLOUT_STAGE: label },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-OUTPUT_LIMIT));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const stop = () => child.kill('SIGTERM');
  ctx.signal.addEventListener('abort', stop, { once: true });
  const exitCode = await new Promise<number | null>((resolve) => {
    child.on('error', (error) => {
      keep(Buffer.from(`${error.message}\n`));
      resolve(null);
    });
    child.on('close', (code) => resolve(code));
  });
  ctx.signal.removeEventListener('abort', stop);
  return { ok: exitCode === 0, exitCode, ms: Math.round(performance.now() - started), output: output || '(no output)' };
}
