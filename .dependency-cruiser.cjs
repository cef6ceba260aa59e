// @ts-check
// The layers of src/, lowest first (docs/architecture.md says what each holds). A module may import its own layer's
// folder and any layer below it, never one above: `npm run lint` fails on an upward import. Folders on one line are
// peers that do not import each other. The lists are regular expressions on paths under src/.
const LAYERS = [
  { name: 'base', paths: ['config\\.ts', 'logger\\.ts', 'shared/'] },
  { name: 'leaf libraries', paths: ['mapping/', 'crypto/', 'vendors/'] },
  { name: 'storage', paths: ['db/'] },
  { name: 'identity and credentials', paths: ['auth/', 'credentials/'] },
  { name: 'process plumbing', paths: ['infra/'] },
  { name: 'development bootstrapping', paths: ['dev/'] },
  { name: 'Temporal contract', paths: ['workflows/', 'temporal-client/'] },
  { name: 'webhook intake', paths: ['webhooks/'] },
  { name: 'event catch-up', paths: ['catch-up/'] },
  { name: 'activities', paths: ['activities/'] },
  { name: 'drift and support reads', paths: ['reconcile/', 'customer-view/'] },
  { name: 'install service and card', paths: ['installs/', 'canvas/'] },
  { name: 'status', paths: ['status/'] },
  { name: 'API', paths: ['api/'] },
  { name: 'entry points', paths: ['main\\.ts', 'service\\.ts', 'worker\\.ts'] },
];

/** Entry points that may start development servers (src/dev/); the production worker and API may not. */
const DEV_ENTRY_POINTS = ['main\\.ts', 'service\\.ts', 'reconcile/cli\\.ts'];

const under = (paths) => `^src/(${paths.join('|')})`;

/**
 * Temporal's typed calls name the other side's signatures: a workflow's proxyActivities<Activities> names the
 * activities, the client's workflow.start<typeof syncWorkflow> names the workflows. Those type-only imports go up a
 * layer (they are erased at build time); a value import the same way is still an error.
 */
const TYPE_ONLY_UPWARD = [
  { from: 'workflows/', to: 'activities/' },
  { from: 'temporal-client/', to: 'workflows/' },
];

const upwardImports = LAYERS.flatMap((layer, index) => {
  const above = LAYERS.slice(index + 1).flatMap((higher) => higher.paths);
  if (above.length === 0) return [];
  const typeOnlyExceptions = TYPE_ONLY_UPWARD.filter((e) => layer.paths.includes(e.from));
  return [
    {
      name: `layer-${layer.name.replace(/\W+/g, '-')}`,
      comment: `${layer.name} (${layer.paths.join(', ')}) imports only its own layer and those below it`,
      severity: 'error',
      from: { path: under(layer.paths) },
      to: {
        path: under(above),
        ...(typeOnlyExceptions.length > 0 ? { pathNot: under(typeOnlyExceptions.map((e) => e.to)) } : {}),
      },
    },
    ...typeOnlyExceptions.map((e) => ({
      name: `layer-${e.from.replace(/\W+/g, '')}-types-only`,
      comment: `${e.from} may name ${e.to}'s signatures (type-only import), nothing else`,
      severity: 'error',
      from: { path: under([e.from]) },
      to: { path: under([e.to]), dependencyTypesNot: ['type-only'] },
    })),
  ];
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...upwardImports,
    {
      name: 'dev-only-from-dev-entry-points',
      comment:
        'src/dev/ (Temporal CLI build, embedded PostgreSQL) serves npm start and the reconcile CLI; the production ' +
        'worker and API never load it',
      severity: 'error',
      from: { path: '^src/', pathNot: [`^src/(${DEV_ENTRY_POINTS.join('|')})$`, '^src/dev/'] },
      to: { path: '^src/dev/' },
    },
    {
      name: 'no-circular',
      comment: 'modules that import each other at run time (type-only loops are erased at build time)',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'every-src-folder-has-a-layer',
      comment: 'a new folder of src/ gets a place in LAYERS (and in docs/architecture.md)',
      severity: 'error',
      from: {
        path: '^src/',
        pathNot: under(LAYERS.flatMap((layer) => layer.paths)),
      },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
