// Lint, including the import rules of the architecture (README, Architecture): who may import whom, per folder.
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import svelteParser from 'svelte-eslint-parser';

const nodeBuiltins = [
  'node:*',
  'fs',
  'fs/*',
  'path',
  'os',
  'child_process',
  'crypto',
  'http',
  'https',
  'net',
  'url',
  'worker_threads',
  'stream',
  'util',
  'module',
];
const pattern = (group, message) => ({ group, message });

// Package names go in `paths` (exact names); folders go in `patterns` (gitignore-style, so a
// pattern "electron" would also catch our own ./electron module).
const forbid = (...rules) => ({
  'no-restricted-imports': [
    'error',
    {
      paths: rules.flatMap((r) => r.paths ?? []),
      patterns: rules.filter((r) => r.group || r.regex),
    },
  ],
});

const NO_NODE = pattern(nodeBuiltins, 'Node built-ins are not available here (see the import rules in eslint.config.js).');
const NO_ELECTRON = { paths: [{ name: 'electron', message: 'Only src/main and src/preload may import electron.' }] };
const NO_ORT = {
  paths: ['onnxruntime-node', 'onnxruntime-web', 'onnxruntime-common'].map((name) => ({
    name,
    message: 'onnxruntime runs in core and the worker only.',
  })),
};
const NO_CORE = pattern(['**/core', '**/core/**'], 'The UI talks to the backend through the contract, never to src/core.');
const NO_HOSTS = pattern(
  ['**/main/**', '**/server/**', '**/cli/**', '**/renderer/**', '**/preload/**', '**/worker/**'],
  'Hosts depend on core, not the other way round.',
);
const NO_CHART = {
  paths: ['chart.js', 'chart.js/auto', 'chart.js/helpers'].map((name) => ({
    name,
    message: 'Only src/renderer/lib/charts imports chart.js.',
  })),
};

// The worker runs sessions and transformations: of core, only the pure pieces it executes.
const WORKER_CORE = {
  regex: String.raw`(^|/)core/(?!(worker-host/protocol|bench/(measurement|cpu-load|inputs|placement)|hardware/power|quantize/.+|onnx/.+|store/atomic|budget)$)`,
  message:
    'The worker imports only what it runs: the worker protocol, measurement, inputs, placement, power, quantize, onnx, atomic writes.',
};
// The preload is the one bridge into the page: Electron's bridge and the contract's names, nothing more.
const PRELOAD_ONLY = {
  regex: String.raw`^(?!(electron|(\.\./)+shared/contract/names)$)`,
  message: 'The preload imports only electron and the contract (shared/contract/names).',
};

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'src/core/onnx/generated/**', 'test-results/**', 'playwright-report/**', '.tmp/**'] },
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parser: svelteParser, parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  { files: ['src/shared/**'], rules: forbid(NO_NODE, NO_ELECTRON, NO_ORT, NO_CORE, NO_HOSTS, NO_CHART) },
  { files: ['src/core/**'], rules: forbid(NO_ELECTRON, NO_HOSTS, NO_CHART) },
  {
    files: ['src/worker/**'],
    rules: forbid(
      NO_ELECTRON,
      pattern(
        ['**/main/**', '**/server/**', '**/cli/**', '**/renderer/**', '**/preload/**'],
        'The worker depends on shared and core only.',
      ),
      WORKER_CORE,
      NO_CHART,
    ),
  },
  {
    files: ['src/main/**'],
    rules: forbid(
      pattern(['**/server/**', '**/cli/**', '**/renderer/**', '**/worker/**'], 'Electron main uses core and shared.'),
      NO_CHART,
    ),
  },
  {
    files: ['src/server/**'],
    rules: forbid(
      NO_ELECTRON,
      pattern(['**/main/**', '**/cli/**', '**/renderer/**', '**/worker/**', '**/preload/**'], 'The browser host uses core and shared.'),
      NO_CHART,
    ),
  },
  {
    files: ['src/cli/**'],
    rules: forbid(
      NO_ELECTRON,
      pattern(['**/main/**', '**/renderer/**', '**/worker/**', '**/preload/**'], 'The CLI uses core, shared and server.'),
      NO_CHART,
    ),
  },
  { files: ['src/preload/**'], rules: forbid(NO_NODE, NO_ORT, PRELOAD_ONLY) },
  {
    files: ['src/renderer/**'],
    rules: forbid(
      NO_NODE,
      NO_ELECTRON,
      NO_ORT,
      NO_CORE,
      pattern(
        ['**/main/**', '**/server/**', '**/cli/**', '**/worker/**', '**/preload/**'],
        'The renderer reaches hosts through its Backend only.',
      ),
    ),
  },
  {
    files: ['src/renderer/**'],
    ignores: ['src/renderer/lib/charts/**'],
    rules: forbid(
      NO_NODE,
      NO_ELECTRON,
      NO_ORT,
      NO_CORE,
      NO_CHART,
      pattern(
        ['**/main/**', '**/server/**', '**/cli/**', '**/worker/**', '**/preload/**'],
        'The renderer reaches hosts through its Backend only.',
      ),
    ),
  },
);
