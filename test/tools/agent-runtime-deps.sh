#!/bin/sh
# Installs, in the current folder (package.json and package-lock.json), the packages the
# agent loads at run time: the production dependencies without the ones only synth,
# authoring, diff and exec-plugin kubeconfigs load. The Dockerfile's runtime stage and
# test/cluster/production-tree.test.ts both build their tree with this script.
set -eu
AUTHORING_ONLY="@kubernetes/client-node cdk8s cdk8s-plus-28 constructs diff ts-node typescript"
npm ci --omit=dev --ignore-scripts --no-audit --no-fund
# --no-save: package.json keeps its dependencies (its version is what --version prints).
# shellcheck disable=SC2086
npm uninstall --omit=dev --ignore-scripts --no-audit --no-fund --no-save $AUTHORING_ONLY
