/**
 * Generated workloads for the synth benchmark: N apps of a Deployment, a Service
 * and a ConfigMap each, once as a synthops config repo and once as a plain cdk8s
 * program building the very same cdk8s-plus-28 constructs.
 */
import * as fs from 'fs';
import * as path from 'path';

const REPO_ROOT = path.resolve(__dirname, '..');

/**
 * The constructs of app `i`, shared by both programs (scope is an Application or a
 * Chart). `rev`, when given, is one more ConfigMap entry: how the re-synth benchmark
 * changes one app.
 */
const BUILD = `function build(scope: Construct, i: number, rev?: string) {
  const name = 'app-' + i;
  const cm = new kplus.ConfigMap(scope, 'config', { metadata: { name: name + '-config' }, data: { INDEX: String(i), GREETING: 'hello ' + i, ...(rev ? { REV: rev } : {}) } });
  const dep = new kplus.Deployment(scope, 'deployment', {
    metadata: { name },
    replicas: 1,
    select: false,
    podMetadata: { labels: { app: name } },
    containers: [{
      name: 'web',
      image: 'docker.io/kostiscodefresh/simple-web-app:3d9b390',
      portNumber: 8080,
      envFrom: [kplus.Env.fromConfigMap(cm)],
      resources: {
        cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(250) },
        memory: { request: Size.mebibytes(32), limit: Size.mebibytes(64) },
      },
    }],
  });
  dep.select(kplus.LabelSelector.of({ labels: { app: name } }));
  const svc = new kplus.Service(scope, 'service', { metadata: { name }, ports: [{ port: 80, targetPort: 8080 }] });
  svc.selectLabel('app', name);
}
`;

function linkNodeModules(dir: string): void {
  const nm = path.join(dir, 'node_modules');
  fs.mkdirSync(nm, { recursive: true });
  fs.symlinkSync(REPO_ROOT, path.join(nm, 'synthops'), 'dir');
  for (const pkg of ['cdk8s', 'cdk8s-plus-28', 'constructs'])
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules', pkg), path.join(nm, pkg), 'dir');
}

/** Writes a synthops config repo with `n` apps into `dir` (one environment). */
export function writeSynthopsRepo(dir: string, n: number): void {
  fs.mkdirSync(path.join(dir, 'apps'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "bench-config", "private": true }\n');
  fs.writeFileSync(
    path.join(dir, 'apps', 'environments.ts'),
    `import { defineEnvironments } from 'synthops';\nexport default defineEnvironments({ bench: {} });\n`,
  );
  fs.writeFileSync(
    path.join(dir, 'apps', 'generated.ts'),
    `import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { defineApp } from 'synthops';
${BUILD}
export default Array.from({ length: ${n} }, (_, i) => defineApp({ name: 'app-' + i, createNamespace: false, build: (app) => build(app, i) }));
`,
  );
  linkNodeModules(dir);
}

/** The module of app `i` in a one-module-per-app repo; `rev` changes its output. */
function appModule(i: number, rev?: string): string {
  return `import { defineApp } from 'synthops';
import { build } from './lib/build';
export default defineApp({ name: 'app-${i}', createNamespace: false, build: (app) => build(app, ${i}${rev ? `, '${rev}'` : ''}) });
`;
}

/**
 * Writes a synthops config repo with `n` apps, one module per app (`apps/app-<i>.ts`),
 * sharing a helper module (`apps/lib/build.ts`): the layout a real repo has, and the
 * unit the synth cache works in.
 */
export function writeSynthopsRepoPerApp(dir: string, n: number): void {
  fs.mkdirSync(path.join(dir, 'apps', 'lib'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "bench-config", "private": true }\n');
  fs.writeFileSync(
    path.join(dir, 'apps', 'environments.ts'),
    `import { defineEnvironments } from 'synthops';\nexport default defineEnvironments({ bench: {} });\n`,
  );
  fs.writeFileSync(
    path.join(dir, 'apps', 'lib', 'build.ts'),
    `import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
export ${BUILD}`,
  );
  for (let i = 0; i < n; i++) fs.writeFileSync(path.join(dir, 'apps', `app-${i}.ts`), appModule(i));
  linkNodeModules(dir);
}

/** Changes the output of app `i` of a {@link writeSynthopsRepoPerApp} repo (one ConfigMap entry). */
export function changeApp(dir: string, i: number, rev: string): void {
  fs.writeFileSync(path.join(dir, 'apps', `app-${i}.ts`), appModule(i, rev));
}

/** Writes a plain cdk8s program (`main.ts`) building the same objects, one Chart per app. */
export function writeCdk8sProgram(dir: string, n: number): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "bench-cdk8s", "private": true }\n');
  fs.writeFileSync(
    path.join(dir, 'main.ts'),
    `import { App, Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
${BUILD}
const app = new App({ outdir: process.argv[2] });
for (let i = 0; i < ${n}; i++) build(new Chart(app, 'app-' + i, { namespace: 'app-' + i, disableResourceNameHashes: true }), i);
app.synth();
`,
  );
  linkNodeModules(dir);
}
