import { defineEnvironments } from 'synthops';

// The one typed place that lists the environments. Every app is rendered once per
// environment; overrides (replicas, image, resources, host, namespace) apply to all
// apps (`defaults`) or to one (`apps.<name>`).
export default defineEnvironments({
  dev: {
    defaults: { replicas: 1 },
  },
  staging: {
    defaults: { replicas: 2 },
    apps: { 'simple-web-app': { host: 'simple-web-app.staging.example.com' } },
  },
  prod: {
    production: true,
    defaults: { replicas: 3 },
    apps: {
      'simple-web-app': {
        host: 'simple-web-app.example.com',
        resources: { cpu: { request: '100m', limit: '500m' }, memory: { request: '64Mi', limit: '128Mi' } },
      },
    },
  },
});
