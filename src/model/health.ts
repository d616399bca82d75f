// The health vocabulary shared by the agent, the AppSync status and its readers.

/** Health of one object or app, worst last. */
export type Health = 'Healthy' | 'Progressing' | 'Degraded';

/** Health with the reason. */
export interface HealthStatus {
  readonly health: Health;
  readonly message: string;
}

/** One object's health, named. */
export interface ObjectHealth extends HealthStatus {
  readonly object: string;
}
