# Pinned versions of the rendering and secrets tools; must match TOOL_VERSIONS in
# src/render/tools.ts (test/tools/versions.test.ts checks). kustomize stays on v5.8.1:
# v5.8.3 needs Go 1.27. age: the newest v1.3.x the module proxy serves.
KUSTOMIZE_VERSION=v5.8.1
HELM_VERSION=v4.3.2
SOPS_VERSION=v3.13.3
AGE_VERSION=v1.3.2
