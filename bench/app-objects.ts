/** The app of four objects bench:agent and bench:render reconcile (as in Flux's public benchmark). */
import { Manifest } from '../src/model/manifest';

/** App `app-<i>`: a ServiceAccount, a ConfigMap (`value: configValue`), a Service and a Deployment scaled to 0. */
export function benchApp(i: number, ns: string, labels: Record<string, string>, configValue = 'v1'): Manifest[] {
  const name = `app-${i}`;
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns, labels } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels }, data: { value: configValue } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: ns, labels },
      spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: ns, labels },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            serviceAccountName: name,
            containers: [{ name: 'web', image: 'docker.io/kostiscodefresh/simple-web-app:3d9b390' }],
          },
        },
      },
    },
  ];
}
