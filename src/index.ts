/**
 * synthops: typed cdk8s apps, deterministic synth, and a pull agent.
 * This entry point is what a config repo imports (`import { ... } from 'synthops'`).
 */
export * from './author';
export * from './model/keys';
export * from './model/errors';
export { synth, SynthOptions, SynthResult, SynthStats } from './synth/synth';
export { ValidationIssue } from './synth/validate';
