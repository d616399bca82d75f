/**
 * How a render at synth time (a Kustomization or HelmChart construct) tells the synth
 * cache what it reads: the construct reports its {@link RenderInputs} just before it
 * runs the tool, and the synth cache's tracer, listening here, records them as inputs
 * of the app module and lets that one run of the tool through (any other child process
 * makes a module uncacheable). The listeners live on a global symbol, so a second
 * copy of synthops in a config repo's node_modules reports to the synth that runs it.
 */
import { RenderInputs } from './inputs';

/** Receives the inputs of a render about to run. */
export type RenderInputsListener = (inputs: RenderInputs) => void;

const LISTENERS = Symbol.for('synthops.renderInputsListeners');

function listeners(): Set<RenderInputsListener> {
  const g = globalThis as unknown as Record<symbol, Set<RenderInputsListener> | undefined>;
  let set = g[LISTENERS];
  if (!set) {
    set = new Set();
    g[LISTENERS] = set;
  }
  return set;
}

/** Starts listening; returns the function that stops it. */
export function onRenderInputs(listener: RenderInputsListener): () => void {
  listeners().add(listener);
  return () => listeners().delete(listener);
}

/** Tells every listener what the render about to run reads. */
export function reportRenderInputs(inputs: RenderInputs): void {
  for (const l of listeners()) l(inputs);
}
