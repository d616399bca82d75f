/**
 * Namespaces the agent never gets a right in and never acts as an account of, whatever
 * Git says: the cluster's own controllers live there (their accounts are cluster-admin
 * in all but name). AgentInstall leaves them out of the RBAC it computes; the agent
 * refuses apps that name an account there.
 */
export const PROTECTED_NAMESPACES: ReadonlySet<string> = new Set(['kube-system']);
