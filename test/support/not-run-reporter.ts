// Prints, after vitest's summary, every group of skipped tests: how many, which suite, why, and what
// to do. The reason is the one given with notRun(), or the note of a skip decided inside the test;
// a skip with neither is listed too, so that no skipped test goes unexplained.
import type { Reporter, TestModule, Vitest } from 'vitest/node';
import { notRunReason } from './not-run';

export default class NotRunReporter implements Reporter {
  private vitest?: Vitest;

  onInit(vitest: Vitest) {
    this.vitest = vitest;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>) {
    const groups = new Map<string, { suite: string; count: number }>();
    const count = (reason: string, suite: string) => {
      const group = groups.get(reason) ?? { suite, count: 0 };
      group.count++;
      groups.set(reason, group);
    };
    const unexplained: string[] = [];
    for (const module of modules) {
      for (const test of module.children.allTests('skipped')) {
        const marked = [test, ...ancestors(test)].find((t) => notRunReason(t.name));
        if (marked) count(notRunReason(marked.name)!, marked.name.replace(/ \[NOT RUN: .*\]$/, ''));
        else {
          // A skip decided inside the test (`skip(condition, note)`) gives its reason as the note.
          const result = test.result();
          const note = result.state === 'skipped' ? result.note : undefined;
          if (note) count(note, test.name);
          else unexplained.push(test.fullName);
        }
      }
    }
    const lines = [...groups].map(([reason, g]) => `NOT RUN: ${plural(g.count)} (${g.suite}): ${reason}`);
    // Under -t, the tests left out are skipped too, for no reason of their own.
    if (unexplained.length && !this.vitest?.config.testNamePattern)
      lines.push(
        `NOT RUN: ${plural(unexplained.length)} with no reason given (${unexplained.join('; ')}): give each its reason with notRun()`,
      );
    if (lines.length === 0) return;
    const log = (text: string) => (this.vitest ? this.vitest.logger.log(text) : console.log(text));
    log(['', ...lines, 'README.md (Development) says how to run every test.', ''].join('\n'));
  }
}

const plural = (n: number) => `${n} test${n === 1 ? '' : 's'}`;

function ancestors(test: { parent: unknown }): Array<{ name: string }> {
  const out: Array<{ name: string }> = [];
  let p = test.parent as { type?: string; name: string; parent: unknown } | undefined;
  while (p && p.type === 'suite') {
    out.push(p);
    p = p.parent as typeof p;
  }
  return out;
}
