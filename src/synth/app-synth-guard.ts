/**
 * While synthops synth loads and builds the apps, cdk8s's `App.synth()` throws: a
 * module written for plain cdk8s (`new App(); ...; app.synth()`) would otherwise write
 * `dist/*.k8s.yaml` behind synth's back, unvalidated and outside the deploy layout.
 * `synthYaml()` only returns text and is left alone.
 */
import * as path from 'path';
import { SynthopsError } from '../model/errors';

/** A config repo module called cdk8s `App.synth()` during synthops synth. */
export class AppSynthCalledError extends SynthopsError {
  constructor() {
    super(
      "cdk8s App.synth() was called while synthops synth loads the apps: synthops writes the output itself (dist/<env>/<app>/, validated, with index.json). Remove the app.synth() call (and the App) and export defineApp({ name, build: (app) => { new MyChart(app, 'main') } }): a Chart or Construct built into the Application gets its namespace and labels",
    );
  }
}

interface AppClass {
  prototype: { synth: (...args: unknown[]) => unknown };
}

function appClass(from: string | undefined): AppClass | undefined {
  try {
    // biome-ignore lint/suspicious/noExplicitAny: the module is loaded by path, untyped
    const cdk8s = require(require.resolve('cdk8s', from ? { paths: [from] } : undefined)) as any;
    return cdk8s.App as AppClass;
  } catch {
    return undefined;
  }
}

/** Makes `App.synth()` of synthops's cdk8s and of the config repo's throw until the returned function is called. */
export function guardAppSynth(root: string): () => void {
  const restores: Array<() => void> = [];
  const classes = new Set([appClass(undefined), appClass(path.resolve(root))].filter((c) => c !== undefined));
  for (const App of classes) {
    const original = App.prototype.synth;
    App.prototype.synth = () => {
      throw new AppSynthCalledError();
    };
    restores.push(() => {
      App.prototype.synth = original;
    });
  }
  return () => {
    for (const r of restores.splice(0)) r();
  };
}
