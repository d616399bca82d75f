/** App modules used by the synth tests, as source text. */
import { RESOURCES } from '../harness/config-repo';

/** A valid WebService app named `name`. */
export function webApp(name: string, image = 'docker.io/kostiscodefresh/simple-web-app:3d9b390'): string {
  return `import { WebService, defineApp } from 'synthops';
export default defineApp({
  name: '${name}',
  build: (app) => { new WebService(app, 'web', { port: 8080, image: '${image}', resources: ${RESOURCES} }); },
});
`;
}

/**
 * An L1 Deployment with the given containers, in its own app. The source may use
 * `k8s` and `LIMITS` (CPU and memory limits).
 */
export function rawDeploymentApp(name: string, container: string): string {
  return `import { k8s } from 'cdk8s-plus-28';
import { defineApp } from 'synthops';
const LIMITS = { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('64Mi') };
void LIMITS;
export default defineApp({
  name: '${name}',
  build: (app) => {
    new k8s.KubeDeployment(app, 'd', {
      metadata: { name: 'd' },
      spec: {
        selector: { matchLabels: { a: 'b' } },
        template: { metadata: { labels: { a: 'b' } }, spec: { containers: [${container}] } },
      },
    });
  },
});
`;
}
