// Prints, after vitest's summary, every group of tests that was skipped for a reason given with
// notRun(): how many, which suite, why, and what to do. A suite that passed with parts not run says so.
import type { Reporter, TestModule, Vitest } from 'vitest/node';
import { notRunReason } from './not-run';

export default class NotRunReporter implements Reporter {
  private vitest?: Vitest;

  onInit(vitest: Vitest) {
    this.vitest = vitest;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>) {
    const groups = new Map<string, { suite: string; count: number }>();
    for (const module of modules) {
      for (const test of module.children.allTests('skipped')) {
        const marked = [test, ...ancestors(test)].find((t) => notRunReason(t.name));
        if (!marked) continue;
        const reason = notRunReason(marked.name)!;
        const group = groups.get(reason) ?? { suite: marked.name.replace(/ \[NOT RUN: .*\]$/, ''), count: 0 };
        group.count++;
        groups.set(reason, group);
      }
    }
    if (groups.size === 0) return;
    const lines = [...groups].map(([reason, g]) => `NOT RUN: ${g.count} test${g.count === 1 ? '' : 's'} (${g.suite}): ${reason}`);
    const log = (text: string) => (this.vitest ? this.vitest.logger.log(text) : console.log(text));
    log(['', ...lines, 'README.md (Development) says how to run every test.', ''].join('\n'));
  }
}

function ancestors(test: { parent: unknown }): Array<{ name: string }> {
  const out: Array<{ name: string }> = [];
  let p = test.parent as { type?: string; name: string; parent: unknown } | undefined;
  while (p && p.type === 'suite') {
    out.push(p);
    p = p.parent as typeof p;
  }
  return out;
}
