// examples/kubernetes/job.yaml, validated without a cluster: against the focused batch/v1 Job
// schema beside it (ajv), plus what a schema cannot say (volumes and the Secret referenced
// exist, the uid is the image's, the hook annotations are documented).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { describe, expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const text = read('examples/kubernetes/job.yaml');
const docs = parseAllDocuments(text);
const job = docs[0]!.toJS();
const validate = new Ajv({ allErrors: true, strict: true }).compile(
  JSON.parse(read('examples/kubernetes/job.schema.json')),
);

describe('examples/kubernetes/job.yaml', () => {
  test('is one YAML document that the batch/v1 Job schema accepts', () => {
    expect(docs.map((d) => d.errors).flat()).toEqual([]);
    expect(docs).toHaveLength(1);
    expect(validate(job), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  test('the schema refuses what would make the job retry, run as root, or carry the password', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed manifest, changed field by field
    const bad = (change: (j: any) => void) => {
      const copy = structuredClone(job);
      change(copy);
      return validate(copy);
    };
    expect(bad((j) => (j.spec.backoffLimit = 6))).toBe(false);
    expect(bad((j) => (j.spec.template.spec.restartPolicy = 'OnFailure'))).toBe(false);
    expect(bad((j) => (j.spec.template.spec.securityContext.runAsUser = 0))).toBe(false);
    expect(bad((j) => j.spec.template.spec.containers[0].env.push({ name: 'POSTGRES_PASSWORD', value: 'x' }))).toBe(
      false,
    );
    expect(bad((j) => (j.spec.backofLimit = 0))).toBe(false); // a typo is not silently ignored
  });

  test("runs as the image's user, mounts only volumes it declares, and reads its settings from a Secret", () => {
    const uid = /useradd --system --uid (\d+)/.exec(read('Dockerfile'))?.[1];
    expect(Number(uid)).toBe(job.spec.template.spec.securityContext.runAsUser);
    const declared = job.spec.template.spec.volumes.map((v: { name: string }) => v.name);
    for (const m of job.spec.template.spec.containers[0].volumeMounts) expect(declared).toContain(m.name);
    expect(job.spec.template.spec.containers[0].envFrom[0].secretRef.name).toBe('migrate-tool-db');
    expect(text).toContain('kubectl create secret generic migrate-tool-db');
  });

  test('documents the Argo CD PreSync and Helm hook annotations', () => {
    expect(text).toMatch(/#\s+argocd\.argoproj\.io\/hook: PreSync/);
    expect(text).toMatch(/#\s+"helm\.sh\/hook": pre-install,pre-upgrade/);
  });
});
