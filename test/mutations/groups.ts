/**
 * What `npm run test:mutations` mutates, one pure decision module at a time, and the
 * unit tests that judge each one's mutants: only those, and only light ones (a file
 * importing little), since one test process runs per mutant. The *-edges tests hold
 * the module's cases of the broader unit tests too (order-health.test.ts loads the
 * whole reconcile for one helper).
 */
export interface MutationGroup {
  /** The module whose mutants are tested. */
  readonly module: string;
  /** Unit test files that cover it (paths from the repository root). */
  readonly tests: readonly string[];
}

export const GROUPS: Readonly<Record<string, MutationGroup>> = {
  prune: {
    module: 'src/agent/plan/prune.ts',
    tests: ['test/agent-logic/prune-plan.test.ts', 'test/agent-logic/prune-plan-edges.test.ts'],
  },
  'in-sync': {
    module: 'src/agent/plan/in-sync.ts',
    tests: ['test/agent-logic/in-sync.test.ts', 'test/agent-logic/in-sync-edges.test.ts'],
  },
  health: { module: 'src/agent/apply/health.ts', tests: ['test/agent-logic/health-edges.test.ts'] },
  order: { module: 'src/agent/plan/order.ts', tests: ['test/agent-logic/order-edges.test.ts'] },
  validate: { module: 'src/synth/validate.ts', tests: ['test/synth/validate-objects.test.ts'] },
  'change-set': {
    module: 'src/agent/apply/change-set.ts',
    tests: [
      'test/agent-logic/change-set.test.ts',
      'test/agent-logic/change-set-edges.test.ts',
      'test/agent-logic/appsync-status.test.ts',
    ],
  },
  'drift-judge': {
    module: 'src/agent/controller/drift-judge.ts',
    tests: ['test/agent-logic/drift-judge.test.ts', 'test/agent-logic/drift-judge-edges.test.ts'],
  },
  redact: {
    module: 'src/model/redact.ts',
    tests: ['test/agent-logic/redact.test.ts', 'test/agent-logic/redact-edges.test.ts'],
  },
  // The decisions of the signature check; running git itself is tested with real keys in test/source/signing.test.ts.
  signing: { module: 'src/git/signature-verdict.ts', tests: ['test/agent-logic/signature-verdict.test.ts'] },
};
