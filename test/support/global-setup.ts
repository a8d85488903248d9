// Builds the CLI bundle once (the end-to-end tests spawn it) and starts the suite's PostgreSQL server.
import type { TestProject } from 'vitest/node';
import { buildAll } from '../../scripts/build.js';
import { redact } from '../../src/config/connection';
import { startTestServer } from './server';

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    serverKind: string;
  }
}

export default async function setup(project: TestProject) {
  await buildAll();
  const server = await startTestServer(process.env);
  console.log(`test server: ${server.kind} (${redact(server.adminUrl, [])})`);
  project.provide('adminUrl', server.adminUrl);
  project.provide('serverKind', server.kind);
  return () => server.stop();
}
