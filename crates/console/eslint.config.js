// ESLint for the console's JavaScript: the pages' modules run in the browser; their tests,
// the browser test's driver and this file run in Node. `pages/constants.js` is generated
// but linted too, so a generator change that breaks the pages shows here.

import js from '@eslint/js';
import globals from 'globals';

export default [
  js.configs.recommended,
  {
    files: ['**/*.js', '**/*.mjs'],
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Every binding is used: dead code and half-finished refactors do not stay.
      'no-unused-vars': ['error', { args: 'after-used', caughtErrors: 'all' }],
      // `==` converts types; the ledger's ids and amounts compare exactly.
      eqeqeq: ['error', 'always'],
      'no-var': 'error',
      'prefer-const': 'error',
    },
  },
  {
    files: ['pages/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['pages/**/*.test.mjs', 'eslint.config.js'],
    languageOptions: { globals: globals.node },
  },
  {
    // The driver runs in Node; the callbacks it hands to page.evaluate run in the page.
    files: ['tests/browser/*.mjs'],
    languageOptions: { globals: { ...globals.node, document: 'readonly' } },
  },
];
