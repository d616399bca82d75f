import * as path from 'path';
import { Include } from 'cdk8s';
import { defineApp } from 'synthops';

// The seed's original config repo form: plain deployment.yml + service.yml, taken
// in unchanged through Include. synthops adds the namespace and its labels. The
// same folder is also what the agent can reconcile directly as plain YAML.
export default defineApp({
  name: 'seed-plain',
  environments: ['dev'],
  build: (app) => {
    for (const file of ['deployment.yml', 'service.yml']) {
      new Include(app, file, { url: path.join(__dirname, file) });
    }
  },
});
