import nx from '@nx/eslint-plugin';

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '.local/**', '.nx/**', 'coverage/**', 'bench/results/**'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          banTransitiveDependencies: false,
          depConstraints: [
            // Apps are thin wiring over libs and never import one another.
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            // Pure libs hold framework-free domain logic: they may not reach infrastructure.
            { sourceTag: 'kind:pure', onlyDependOnLibsWithTags: ['kind:pure'] },
            { sourceTag: 'kind:infra', onlyDependOnLibsWithTags: ['kind:pure', 'kind:infra'] },
            { sourceTag: 'kind:testing', onlyDependOnLibsWithTags: ['kind:pure', 'kind:infra'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:deploy', onlyDependOnLibsWithTags: ['kind:pure'] },
            // Local development scripts (tools/dev: the demo inbox, endpoint policy) use libs only.
            { sourceTag: 'type:tools', onlyDependOnLibsWithTags: ['type:lib'] },
            // Examples show what a team outside Hookstream can do: the published documents, no Hookstream code.
            { sourceTag: 'type:example', notDependOnLibsWithTags: ['type:lib', 'type:app'] },
            // Scopes: a table's owner lib (scope:<table>) is imported only by the apps that own or read
            // that table; every app and lib may use the shared libs. A new scope needs a line here.
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:feed', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:delivery', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:config', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:dlq', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:projector', onlyDependOnLibsWithTags: ['scope:shared', 'scope:feed', 'scope:config', 'scope:dlq'] },
            { sourceTag: 'scope:control', onlyDependOnLibsWithTags: ['scope:shared', 'scope:feed', 'scope:delivery', 'scope:config', 'scope:dlq'] },
            { sourceTag: 'scope:ingest', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:validate', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:enrich', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:automate', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:deliver', onlyDependOnLibsWithTags: ['scope:shared', 'scope:delivery'] },
            { sourceTag: 'scope:dashboard', onlyDependOnLibsWithTags: [] },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'off',
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', 'tools/**/*.ts', 'tools/**/*.js', 'jest*.js'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
];
