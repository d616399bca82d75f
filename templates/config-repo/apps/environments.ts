import { defineEnvironments } from 'synthops';

// Every app is rendered once per environment. Overrides: replicas, image,
// resources, host, namespace (per environment, or per app under `apps`).
export default defineEnvironments({
  dev: { defaults: { replicas: 1 } },
  prod: { production: true, defaults: { replicas: 2 } },
});
