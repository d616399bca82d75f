export * from './application';
export * from './define-app';
export * from './environments';
export * from './image-pins';
export * from './image-ref';
export * from './web-service';
export * from './agent-install';
export * from './sops-secret';
