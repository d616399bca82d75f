import { WebService, defineApp } from 'synthops';

// The seed's web app (a small Go server on 8080), as a typed WebService in every
// environment. The Service keeps the seed's selector app=trivial-go-web-app, so
// it selects the same Pods the original plain YAML did.
export default defineApp({
  name: 'simple-web-app',
  build: (app) => {
    new WebService(app, 'web', {
      port: 8080,
      servicePort: 80,
      selectorLabels: { app: 'trivial-go-web-app' },
      resources: {
        cpu: { request: '50m', limit: '250m' },
        memory: { request: '32Mi', limit: '64Mi' },
      },
    });
  },
});
