/** The seed's plain-YAML config repo, as tests publish it. */
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from './config-repo';

const SEED = path.join(REPO_ROOT, 'apps', 'seed-plain');

/**
 * The seed's config repo as its users have it: deployment.yml (image tag `tag`) and a
 * service.yml of `type: LoadBalancer`, which never gets an address on a cluster
 * without a load balancer (its app stays Progressing).
 */
export function seedWithLoadBalancer(tag = '3d9b390'): Record<string, string> {
  return {
    'deployment.yml': fs.readFileSync(path.join(SEED, 'deployment.yml'), 'utf8').replace(':3d9b390', `:${tag}`),
    'service.yml': fs
      .readFileSync(path.join(SEED, 'service.yml'), 'utf8')
      .replace('type: ClusterIP', 'type: LoadBalancer'),
  };
}
