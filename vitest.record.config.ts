import { defineConfig } from 'vitest/config';
import base from './vitest.config';

// `npm run record:histories`: regenerates the replay fixtures (not part of npm test).
export default defineConfig({ test: { ...base.test, include: ['scripts/record/**/*.rec.ts'] } });
