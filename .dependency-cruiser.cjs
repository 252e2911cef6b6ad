/**
 * The layers of src/, checked by `npm run lint` (dependency-cruiser, type-only imports included): no circle, and
 * every arrow points down. From the bottom:
 *   src/domain     the types every layer shares, the failure vocabulary, the duration type
 *   src/workflows  deterministic workflow code, over the domain alone; its activities typed in activity-types.ts
 *   src/ports      what the activities need of each service        src/config.ts  the one typed config
 *   src/adapters   the services' libraries behind the ports, and services.ts, the one place they are wired
 *   src/activities thin calls to the ports, typed against the workflows' interface
 *   src/temporal   the client side: starters, queries, decisions, the codec (what the CLI and the control bot call)
 *   src/control    the control bot's command interpreter, over the client side
 *   src/workers    the worker: its activities' dependencies, options, metrics        src/cli  the CLI
 *   src/sandbox    the simulators, beside the rest: only their facts (ports, keys, accounts) are read by the wiring
 */
const above = (...folders) => `^src/(${folders.join('|')})/`;

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'A circle has no bottom.', from: {}, to: { circular: true } },
    {
      name: 'domain-at-the-bottom',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: '^src/', pathNot: '^src/domain/' },
    },
    {
      name: 'workflows-over-the-domain-only',
      severity: 'error',
      comment: 'Workflow code is deterministic: it imports the domain and itself, nothing that does I/O.',
      from: { path: '^src/workflows/' },
      to: { path: '^src/', pathNot: '^src/(workflows|domain)/' },
    },
    {
      name: 'ports-over-the-domain-only',
      severity: 'error',
      from: { path: '^src/ports/' },
      to: { path: '^src/', pathNot: '^src/(ports|domain)/' },
    },
    {
      name: 'config-low',
      severity: 'error',
      from: { path: '^src/config\\.ts$' },
      to: { path: above('adapters', 'activities', 'workflows', 'temporal', 'control', 'workers', 'cli') },
    },
    {
      name: 'adapters-below-their-callers',
      severity: 'error',
      from: { path: '^src/adapters/' },
      to: { path: above('activities', 'workflows', 'temporal', 'control', 'workers', 'cli') },
    },
    {
      name: 'activities-over-ports',
      severity: 'error',
      comment: 'Activities reach services through the ports; the wiring hands them the adapters.',
      from: { path: '^src/activities/' },
      to: { path: above('adapters', 'workers', 'cli', 'sandbox') },
    },
    {
      name: 'client-side-below-its-callers',
      severity: 'error',
      comment: 'The client side and the control bot serve the CLI, the bot and the workers; they import none of them.',
      from: { path: above('temporal', 'control') },
      to: { path: above('activities', 'adapters', 'workers', 'cli', 'sandbox') },
    },
    {
      name: 'cli-not-a-worker',
      severity: 'error',
      comment: 'The CLI reaches services through the wiring (src/adapters/create-services.ts), never a worker module.',
      from: { path: '^src/cli/' },
      to: { path: above('workers', 'activities', 'sandbox') },
    },
    {
      name: 'sandbox-beside',
      severity: 'error',
      comment: 'The simulators stand in for the services: they know nothing of what calls them.',
      from: { path: '^src/sandbox/' },
      to: { path: above('workflows', 'activities', 'temporal', 'control', 'workers', 'cli') },
    },
    {
      name: 'src-stands-alone',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(scripts|test)/' },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)convex/_generated/' },
  },
};
