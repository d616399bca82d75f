import { WebService, defineApp } from 'synthops';

export default defineApp({
  name: 'hello',
  build: (app) => {
    new WebService(app, 'web', {
      port: 8080,
      resources: {
        cpu: { request: '50m', limit: '200m' },
        memory: { request: '32Mi', limit: '64Mi' },
      },
    });
  },
});
