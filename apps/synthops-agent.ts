import { AgentInstall, defineApp } from 'synthops';

// The agent itself, as an app of this config repo: `synthops bootstrap` applies it
// once, then the agent keeps it equal to Git (change the interval or the image here,
// publish, and the agent rolls itself). Each environment's cluster runs its own agent.
export default defineApp({
  name: 'synthops-agent',
  namespace: 'synthops-system',
  build: (app, env) => {
    new AgentInstall(app, 'agent', {
      repo: 'https://git.example.com/org/config.git',
      branch: 'deploy',
      image: env.imageFor('synthops-agent') ?? 'ghcr.io/example/synthops:0.1.0',
      interval: '1m',
      replicas: env.production ? 2 : 1,
    });
  },
});
