import * as path from 'path';
import { Include } from 'cdk8s';
import { defineApp } from 'synthops';
import { Greeting } from '../../imports/examples.synthops.dev';

// An app that brings its own CRD (plain YAML, through Include) and a custom
// resource of it through the construct generated into imports/ by `cdk8s import`.
export default defineApp({
  name: 'greetings',
  build: (app, env) => {
    new Include(app, 'crd', { url: path.join(__dirname, 'crd.yaml') });
    new Greeting(app, 'hello', {
      metadata: { name: 'hello' },
      spec: { message: `Hello from ${env.name}`, language: 'en' },
    });
  },
});
