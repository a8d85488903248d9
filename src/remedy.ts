// What to do about an error or a failed migration, as data: the engine says which option to set,
// which operation to run and on which schema, and each front end words it. The library's own
// words (`advice` on errors and failed entries) come from libraryWords() here; the CLI words the
// same remedy with its flags, commands and variables (cli/advice.ts), from the data, not the text.

/** An option of the operations (or of the connection) that a remedy tells the caller to set. */
export type RemedyOption =
  | 'migrationsDir'
  | 'seedsDir'
  | 'backupDir'
  | 'prismaSchema'
  | 'tenantPattern'
  | 'lockTimeoutMs'
  | 'ddlLockTimeoutMs'
  | 'blockerTimeoutMs'
  | 'database'
  | 'force'
  | 'forgetApplied';

/** An operation of the library that a remedy tells the caller to run. */
export type RemedyOperation =
  | 'migrate'
  // eslint-disable-next-line no-restricted-syntax -- the operation rollback(), not a statement it sends
  | 'rollback'
  | 'force'
  | 'rewriteSum'
  | 'generateBaseline'
  | 'createMigration'
  | 'importFolder'
  | 'backup'
  | 'restore'
  | 'seed'
  | 'adopt'
  | 'status'
  | 'tenants';

export type Remedy =
  /** Words that are the same for every caller. */
  | { kind: 'text'; text: string }
  | { kind: 'option'; option: RemedyOption }
  /** `schema`: run it on that schema (migrate); `tool`: the tool whose folder to import; `version`: force's version, as a placeholder. */
  | { kind: 'operation'; operation: RemedyOperation; schema?: string; tool?: string; version?: string }
  /** A schema left dirty at `version` (`previous` before it): repair it, drop what `drop` names, then force one of the two. */
  | { kind: 'force'; schema: string; version: string; previous: string; drop?: string }
  /** force would widen to healthy schemas: recover each dirty one on its own, or rewrite them all. */
  | { kind: 'forceEach'; version: string; dirty: readonly string[]; forgetApplied: boolean }
  /** A sentence of the others, in order. */
  | { kind: 'steps'; steps: readonly Remedy[] };

export const option = (name: RemedyOption): Remedy => ({ kind: 'option', option: name });

export const operation = (
  name: RemedyOperation,
  more: { schema?: string; tool?: string; version?: string } = {},
): Remedy => ({
  kind: 'operation',
  operation: name,
  ...more,
});

/** A remedy written as a sentence: remedy`raise ${option('lockTimeoutMs')}`; a string part is words like the rest. */
export function remedy(strings: TemplateStringsArray, ...parts: Array<Remedy | string>): Remedy {
  const steps: Remedy[] = [];
  let words = '';
  strings.forEach((text, i) => {
    words += text;
    const part = parts[i];
    if (typeof part === 'string') return void (words += part);
    if (words) steps.push({ kind: 'text', text: words });
    words = '';
    if (part) steps.push(part);
  });
  if (words) steps.push({ kind: 'text', text: words });
  return steps.length === 1 ? steps[0]! : { kind: 'steps', steps };
}

/** A plain advice, as the constructors still accept it, is a remedy of kind text. */
export const asRemedy = (advice: string | Remedy | undefined): Remedy | undefined =>
  typeof advice === 'string' ? { kind: 'text', text: advice } : advice;

const OPTION_WORDS: Record<RemedyOption, string> = {
  migrationsDir: 'migrationsDir',
  seedsDir: 'seedsDir',
  backupDir: 'backupDir',
  prismaSchema: 'prismaSchema',
  tenantPattern: 'tenantPattern',
  lockTimeoutMs: 'lockTimeoutMs',
  ddlLockTimeoutMs: 'ddlLockTimeoutMs',
  blockerTimeoutMs: 'blockerTimeoutMs',
  database: "the connection's database",
  force: 'force: true',
  forgetApplied: 'forgetApplied: true',
};

/** The remedy in the library's words: its options and functions. */
export function libraryWords(r: Remedy): string {
  switch (r.kind) {
    case 'text':
      return r.text;
    case 'option':
      return OPTION_WORDS[r.option];
    case 'operation':
      return libraryCall(r);
    case 'force': {
      const tenant = r.schema === 'public' ? '' : `, { tenant: '${r.schema}' }`;
      return `check what it left in ${r.schema}, repair it by hand${r.drop ? ` (${r.drop})` : ''}, then call force(options, '<version>'${tenant}) (${r.version} if its change is in place, ${r.previous} if not)`;
    }
    case 'forceEach': {
      // public has no one-schema form (`tenant` names tenant schemas): it takes `all`, checked with a dry run first.
      const calls = r.dirty.map((s) =>
        s === 'public' ? `public: { all: true, dryRun: true }, then without dryRun` : `{ tenant: '${s}' }`,
      );
      const recover = r.dirty.length
        ? `recover each dirty schema on its own, with force(options, '${r.version}', ...): ${calls.join(', ')}; `
        : '';
      return `${recover}to rewrite every schema's history anyway, pass all: true${r.forgetApplied ? ', forgetApplied: true' : ''}`;
    }
    case 'steps':
      return r.steps.map(libraryWords).join('');
  }
}

function libraryCall(r: Extract<Remedy, { kind: 'operation' }>): string {
  if (r.operation === 'importFolder') return `importFolder('${r.tool ?? 'TOOL'}', SRC, migrationsDir)`;
  const tenant = r.schema === undefined || r.schema === 'public' ? '' : `, { tenant: '${r.schema}' }`;
  if (r.operation === 'force' && r.version) return `force(options, '${r.version}'${tenant})`;
  if (r.schema !== undefined) return `${r.operation}(options${tenant})`;
  return `${r.operation}()`;
}
