// `npm run check:deps` (run by .ci/run): the import rules of DESIGN.md, checked on every source file,
// type-only imports included.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment:
        'An import cycle (types count: they tie modules together just the same). Move the shared types to a module both sides can import.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-imports-nothing-of-ours',
      severity: 'error',
      comment: 'DESIGN.md: @statuskit/core imports no other statuskit package.',
      from: { path: '^packages/core/' },
      to: { path: '^(packages/(?!core/)|apps/)|node_modules/@statuskit/' },
    },
    {
      name: 'nothing-imports-an-app',
      severity: 'error',
      comment: 'DESIGN.md: arrows point from apps to packages; no package or other app imports an app.',
      from: {},
      to: { path: 'node_modules/(@statuskit/(api|sfdc-connector)|statuskit)/' },
    },
    {
      name: 'no-reaching-into-another-package',
      severity: 'error',
      comment:
        "One way in per package: import @statuskit/x (its exports), never another package's files by path.",
      from: { path: '^(packages|apps|examples)/([^/]+)/' },
      to: { path: '^(packages|apps|examples)/([^/]+)/', pathNot: '^(packages|apps|examples)/$2/' },
    },
    {
      name: 'only-declared-dependencies',
      severity: 'error',
      comment:
        'Every package a file imports is in its package.json (dependencies, devDependencies or peers).',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown', 'unknown', 'undetermined'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(packages|apps|examples)/[^/]+/(dist|.turbo)/' },
    tsPreCompilationDeps: true,
    // Workspace packages stay under node_modules/@statuskit/...: reached through their name and exports.
    preserveSymlinks: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    // The root's devDependencies (vitest, fast-check) serve every workspace.
    combinedDependencies: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['@statuskit/source', 'types', 'import', 'default'],
      extensions: ['.ts', '.js', '.mjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
