import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Ink writes only a final frame when it believes it runs in CI (is-in-ci reads CI at import):
    // the TUI tests look at the frames a user's terminal shows, whatever machine runs them.
    env: { CI: '0' },
  },
});
