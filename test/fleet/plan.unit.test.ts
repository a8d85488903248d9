// The targets file's checks and the rollout plan, without a server.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors';
import { loadTargetsFile, parseTargets } from '../../src/fleet/targets';
import { selectTargets } from '../../src/fleet/run';
import { planRollout, share } from '../../src/fleet/waves';

const env = { EU_PW: 'p@ss/word', US_PW: 'other' };

function problems(doc: unknown): string[] {
  try {
    parseTargets(doc, env);
  } catch (e) {
    return (e as ConfigError).problems;
  }
  return [];
}

describe('the targets file', () => {
  it('resolves ${VAR} passwords from the environment, percent-encoded, and keeps them as secrets', () => {
    const fleet = parseTargets(
      { targets: [{ name: 'eu-1', url: 'postgres://app:${EU_PW}@db1:6432/main', labels: { region: 'eu' } }] },
      env,
    );
    expect(fleet.targets[0]!.connection).toMatchObject({
      host: 'db1',
      port: 6432,
      user: 'app',
      password: 'p@ss/word',
      database: 'main',
    });
    expect(fleet.secrets).toEqual(['p@ss/word']);
  });

  it('reports every problem at once, one line each', () => {
    const found = problems({
      targets: [
        { name: 'a', url: 'postgres://app:hunter2@db/x' },
        { name: 'a', url: 'postgres://app@db/x?password=hunter2' },
        { name: 'b', url: 'postgres://app:${NOPE}@db/x', tenantPattern: '%' },
        { name: 'bad name', url: 'postgres://app@db/x' },
      ],
      rolout: {},
    });
    expect(found).toHaveLength(7);
    expect(found.join('\n')).not.toContain('hunter2');
    expect(found).toContain('targets file: unknown key "rolout" (known: targets, rollout)');
  });

  it('reads YAML by the file extension', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mt-targets-'));
    try {
      await writeFile(
        join(dir, 't.yaml'),
        'targets:\n  - name: us-1\n    url: postgres://app:${US_PW}@db2/main\nrollout:\n  canary: 2\n  waves: 25%\n',
      );
      const fleet = await loadTargetsFile(join(dir, 't.yaml'), env);
      expect(fleet.targets.map((t) => t.name)).toEqual(['us-1']);
      expect(fleet.rollout).toEqual({ canary: 2, waves: '25%' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a rollout's largestLast is --largest-last's milliseconds; anything but a whole number is refused", () => {
    const url = 'postgres://a@h1/d';
    const fleet = parseTargets({ targets: [{ name: 'eu-1', url }], rollout: { waves: 2, largestLast: 500 } }, env);
    expect(fleet.rollout).toEqual({ waves: '2', largestLastMs: 500 });
    for (const bad of ['500ms', -1, 1.5])
      expect(problems({ targets: [{ name: 'eu-1', url }], rollout: { largestLast: bad } })).toEqual([
        expect.stringContaining('"largestLast" must be a whole number of milliseconds'),
      ]);
  });

  it('--target selects by name or label, and refuses one that matches nothing', () => {
    const { targets } = parseTargets(
      {
        targets: [
          { name: 'eu-1', url: 'postgres://a@h1/d', labels: { region: 'eu' } },
          { name: 'eu-2', url: 'postgres://a@h2/d', labels: { region: 'eu' } },
          { name: 'us-1', url: 'postgres://a@h3/d', labels: { region: 'us' } },
        ],
      },
      env,
    );
    expect(selectTargets(targets, ['region=eu']).map((t) => t.name)).toEqual(['eu-1', 'eu-2']);
    expect(selectTargets(targets, ['us-1', 'eu-2']).map((t) => t.name)).toEqual(['eu-2', 'us-1']);
    expect(() => selectTargets(targets, ['eu-3'])).toThrow(/matches no target/);
  });
});

describe('the rollout plan', () => {
  const candidates = [
    { target: 'eu', all: ['c_a', 'c_b', 'c_c'], pending: ['c_c', 'c_a', 'c_b'] },
    { target: 'us', all: ['c_d', 'c_e'], pending: ['c_e'] },
  ];
  it('takes a counted canary from the stable order and cuts the rest into waves', () => {
    const plan = planRollout(candidates, { canary: 1, waves: '50%' }, true);
    expect(plan.canary).toEqual([{ target: 'eu', schema: 'c_a' }]);
    expect(plan.waves.map((w) => w.map((i) => `${i.target}:${i.schema}`))).toEqual([['eu:c_b', 'us:c_e'], ['eu:c_c']]);
  });
  it('skips a named canary that is already up to date, and refuses one that does not exist', () => {
    expect(planRollout(candidates, { canary: ['us:c_d'] }, true).canary).toEqual([]);
    expect(() => planRollout(candidates, { canary: ['us:c_zz'] }, true)).toThrow(
      /no target us with tenant schema c_zz/,
    );
    expect(() => planRollout(candidates, { canary: ['eu:c_a'] }, false)).toThrow(/needs a targets file/);
  });
  it('--largest-last: the schemas kept for last are out of the counted canary and the waves, and are the last wave, over the fleet', () => {
    const withLarge = [
      { ...candidates[0]!, last: ['c_a'] },
      { ...candidates[1]!, last: ['c_e'] },
    ];
    const plan = planRollout(withLarge, { canary: 1, waves: '1' }, true);
    expect(plan.canary).toEqual([{ target: 'eu', schema: 'c_b' }]);
    expect(plan.waves.map((w) => w.map((i) => `${i.target}:${i.schema}`))).toEqual([['eu:c_c'], ['eu:c_a', 'us:c_e']]);
  });
  it('rounds a wave up and a budget down', () => {
    expect(share('10%', 5, '--waves', 1)).toBe(1);
    expect(share('10%', 15, '--failure-budget')).toBe(1);
    expect(() => share('0', 5, '--waves', 1)).toThrow(/at least 1/);
  });
});
