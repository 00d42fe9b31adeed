import { runRole } from './run-role';

// Everything in one process: embedded PostgreSQL and a local Temporal dev server unless
// DATABASE_URL / TEMPORAL_ADDRESS say otherwise, then the worker and the HTTP API.
void runRole({ worker: true, api: true, embedded: true }, (engine) => {
  const lines = [
    '',
    'Collections engine is running',
    `  API            ${engine.apiUrl}/api   (Authorization: Bearer ${engine.apiToken})`,
    `  Web app        ${engine.apiUrl}/app   (sign in with your email and password)`,
    ...(engine.firstAdminLink
      ? [`  First admin    ${engine.firstAdminLink}   (open it to create the first admin; works once, for a day)`]
      : []),
    `  Dashboard      ${engine.apiUrl}/dashboard   (your account, or the API token)`,
    `  Temporal UI    ${engine.temporalUiUrl ?? '(not local)'}${engine.temporalUiUrl ? `/namespaces/${engine.namespace}/workflows` : ''}`,
    `  Temporal       ${engine.temporalAddress} (namespace ${engine.namespace})`,
    `  PostgreSQL     ${engine.databaseKind === 'embedded' ? `embedded, ${redact(engine.databaseUrl)}` : redact(engine.databaseUrl)}`,
    ...(engine.codecEndpoint
      ? [
          `  Codec server   ${engine.codecEndpoint}   (payloads are encrypted; sign in to the dashboard, then in the Temporal UI:`,
          `                 Codec Server → "Use my browser setting", this endpoint, tick "Include cross-origin credentials")`,
        ]
      : []),
    ...engine.webhooks.map((w) => `  Webhook        ${w.url}${w.generatedSecret ? `   (secret ${w.generatedSecret})` : ''}`),
    '',
    'Try it:',
    `  export API=${engine.apiUrl} TOKEN=${engine.apiToken}`,
    '  npm run demo',
    '',
  ];
  console.log(lines.join('\n'));
});

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]+@/, '//$1:***@');
}
