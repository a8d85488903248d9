// One line describing the machine the figures were taken on, with its load when they were taken
// (other work on a shared 2-core machine makes figures noisier).
import { availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os';

export function machine(): string {
  const model = cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU';
  return `${availableParallelism()} cores (${model}), ${(totalmem() / 2 ** 30).toFixed(0)} GB RAM, ${platform()} ${release()}, Node ${process.version}, load average ${loadavg()[0]!.toFixed(2)} at start`;
}
