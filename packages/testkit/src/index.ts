export * from './fixtures/index.ts';
export * from './hostile/index.ts';
export * from './simulator/index.ts';
