// Types for jest.preset.js (CommonJS), imported by the TypeScript jest configs.
import type { Config } from 'jest';
declare const preset: Config;
export = preset;
