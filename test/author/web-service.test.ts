import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ResourceSpec } from '../../src/author/environments';
import { WebService, WebServiceProps } from '../../src/author/web-service';
import { only, renderApp, RenderAppOptions } from '../harness/render';

const resources: ResourceSpec = { cpu: { request: '50m', limit: '250m' }, memory: { request: '32Mi', limit: '64Mi' } };
const IMAGE = 'docker.io/kostiscodefresh/simple-web-app:3d9b390';

function web(props: Partial<WebServiceProps> = {}, opts: RenderAppOptions = {}, id = 'web') {
  return renderApp((app) => new WebService(app, id, { port: 8080, resources, image: IMAGE, ...props }), {
    createNamespace: false,
    ...opts,
  });
}

describe('WebService', () => {
  test('the image pins file wins over the image prop, then the environment override, then the prop', () => {
    const image = (opts: RenderAppOptions) => only(web({}, opts), 'Deployment').spec.template.spec.containers[0].image;
    assert.equal(
      image({ pins: { shop: 'r/shop:pinned' }, envProps: { apps: { shop: { image: 'r/shop:override' } } } }),
      'r/shop:pinned',
      'CI bumps the pin; a prop in code must not hide it',
    );
    assert.equal(image({ envProps: { apps: { shop: { image: 'r/shop:override' } } } }), 'r/shop:override');
    assert.equal(image({}), IMAGE);
  });

  test('renders a Deployment and a Service with production defaults', () => {
    const objects = web();
    assert.deepEqual(objects.map((o) => o.kind).sort(), ['Deployment', 'Service']);
    const dep = only(objects, 'Deployment');
    assert.equal(dep.metadata.name, 'shop');
    assert.equal(dep.spec.replicas, 1);
    const pod = dep.spec.template.spec;
    const c = pod.containers[0];
    assert.equal(c.image, IMAGE);
    assert.deepEqual(c.ports, [{ containerPort: 8080 }]);
    assert.deepEqual(c.resources, {
      limits: { cpu: '250m', memory: '64Mi' },
      requests: { cpu: '50m', memory: '32Mi' },
    });
    assert.equal(c.securityContext.runAsNonRoot, true);
    assert.equal(c.securityContext.runAsUser, 10001);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.equal(c.securityContext.privileged, false);
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.deepEqual(c.readinessProbe.httpGet, { path: '/', port: 8080, scheme: 'HTTP' });
    assert.deepEqual(c.livenessProbe.httpGet, { path: '/', port: 8080, scheme: 'HTTP' });
    assert.deepEqual(
      c.volumeMounts,
      [{ mountPath: '/tmp', name: 'tmp' }],
      'a writable /tmp despite the read-only root',
    );

    const selector = { 'app.kubernetes.io/name': 'shop' };
    assert.deepEqual(dep.spec.selector.matchLabels, selector);
    assert.deepEqual(dep.spec.template.metadata.labels, selector, 'no construct-path label on the Pods');
    const svc = only(objects, 'Service');
    assert.equal(svc.metadata.name, 'shop');
    assert.deepEqual(svc.spec.selector, selector);
    assert.deepEqual(svc.spec.ports, [{ name: 'http', port: 80, targetPort: 8080 }]);
  });

  test('names never depend on the construct id: renaming the construct changes no byte', () => {
    assert.deepEqual(web({}, {}, 'web'), web({}, {}, 'frontend-renamed'));
  });

  test('keeps a custom selector, name and service port (the seed app form)', () => {
    const objects = web({ name: 'simple-web-app', servicePort: 80, selectorLabels: { app: 'trivial-go-web-app' } });
    assert.deepEqual(only(objects, 'Service').spec.selector, { app: 'trivial-go-web-app' });
    assert.deepEqual(only(objects, 'Deployment').spec.selector.matchLabels, { app: 'trivial-go-web-app' });
    assert.equal(only(objects, 'Deployment').metadata.name, 'simple-web-app');
  });

  test('applies environment overrides for replicas, resources and host', () => {
    const objects = web(
      { replicas: 2 },
      {
        envProps: {
          defaults: { replicas: 4 },
          apps: {
            shop: {
              host: 'shop.example.com',
              resources: { cpu: { request: '1', limit: '2' }, memory: { request: '1Gi', limit: '2Gi' } },
            },
          },
        },
      },
    );
    const dep = only(objects, 'Deployment');
    assert.equal(dep.spec.replicas, 4, 'the environment wins over the prop');
    assert.deepEqual(dep.spec.template.spec.containers[0].resources, {
      limits: { cpu: '2000m', memory: '2048Mi' },
      requests: { cpu: '1000m', memory: '1024Mi' },
    });
    const ing = only(objects, 'Ingress');
    assert.equal(ing.spec.rules[0].host, 'shop.example.com');
    assert.deepEqual(ing.spec.rules[0].http.paths[0].backend.service, { name: 'shop', port: { number: 80 } });
  });

  test('takes the image from the pins file first, then the override, then the prop', () => {
    const image = (o: RenderAppOptions, prop?: string) =>
      only(
        renderApp((app) => new WebService(app, 'w', { port: 1, resources, image: prop }), o),
        'Deployment',
      ).spec.template.spec.containers[0].image;
    assert.equal(
      image({ pins: { shop: 'r/pinned:1' }, envProps: { apps: { shop: { image: 'r/override:1' } } } }),
      'r/pinned:1',
    );
    assert.equal(image({ envProps: { apps: { shop: { image: 'r/override:1' } } } }), 'r/override:1');
    assert.equal(image({}, 'r/prop:1'), 'r/prop:1');
    assert.throws(
      () => image({}),
      /WebService "shop" \(app shop, env dev\): no image: pin one in the image pins file \(dev.shop\) or set the "image" prop/,
    );
  });

  test('with autoscale, an HPA owns the replica count and the Deployment leaves it out', () => {
    const objects = web({ replicas: 3, autoscale: { minReplicas: 2, maxReplicas: 5 } });
    assert.equal('replicas' in only(objects, 'Deployment').spec, false);
    const hpa = only(objects, 'HorizontalPodAutoscaler');
    assert.equal(hpa.spec.minReplicas, 2);
    assert.equal(hpa.spec.maxReplicas, 5);
    assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'shop' });
    assert.equal(hpa.spec.metrics[0].resource.target.averageUtilization, 70);
  });

  test('config becomes a ConfigMap the container reads as environment variables', () => {
    const objects = web({ config: { GREETING: 'hi' }, env: { MODE: 'fast' } });
    const cm = only(objects, 'ConfigMap');
    assert.equal(cm.metadata.name, 'shop-config');
    assert.deepEqual(cm.data, { GREETING: 'hi' });
    const c = only(objects, 'Deployment').spec.template.spec.containers[0];
    assert.deepEqual(c.envFrom, [{ configMapRef: { name: 'shop-config' } }]);
    assert.deepEqual(c.env, [{ name: 'MODE', value: 'fast' }]);
  });

  test('without resources (or with some left out) nothing is invented: synth checks limits in production only', () => {
    const containerResources = (r: WebServiceProps['resources']) =>
      only(web({ resources: r }), 'Deployment').spec.template.spec.containers[0].resources;
    assert.equal(containerResources(undefined), undefined, 'no cdk8s-plus default requests and limits');
    assert.deepEqual(containerResources({ cpu: { request: '50m' }, memory: { limit: '64Mi' } }), {
      limits: { memory: '64Mi' },
      requests: { cpu: '50m' },
    });
  });

  test('rejects root and malformed quantities, naming the field', () => {
    assert.throws(() => web({ user: 0 }), /WebService "shop" \(app shop, env dev\): user must not be 0 \(root\)/);
    assert.throws(
      () => web({ resources: { ...resources, memory: { request: '32MB', limit: '64Mi' } } }),
      /resources\.memory\.request: "32MB" is not a memory quantity/,
    );
    assert.throws(
      () => web({ resources: { ...resources, cpu: { request: 'lots', limit: '1' } } }),
      /resources\.cpu\.request: "lots" is not a CPU quantity/,
    );
  });
});

describe('WebService memory quantities', () => {
  test('any Kubernetes memory quantity is written in the canonical form; whole mebibytes stay <n>Mi', () => {
    const containerResources = (r: WebServiceProps['resources']) =>
      only(web({ resources: r }), 'Deployment').spec.template.spec.containers[0].resources;
    assert.deepEqual(containerResources({ cpu: { limit: '1' }, memory: { request: '500M', limit: '0.5Gi' } }), {
      limits: { cpu: '1000m', memory: '512Mi' },
      requests: { memory: '500M' },
    });
    // Nothing cdk8s-plus would write: the patch creates resources and both lists.
    assert.deepEqual(containerResources({ memory: { request: '1e9', limit: '1.5G' } }), {
      limits: { memory: '1500M' },
      requests: { memory: '1e9' },
    });
    assert.throws(
      () => web({ resources: { memory: { limit: '-1Gi' } } }),
      /resources\.memory\.limit: "-1Gi" is negative/,
    );
  });
});
