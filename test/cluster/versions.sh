# Pinned versions of the local control plane; must match go.mod and kwok/go.mod.
K8S_VERSION=v1.34.4
K8S_VERSION_MAJOR=1
K8S_VERSION_MINOR=34
ETCD_VERSION=v3.6.4
KWOK_VERSION=v0.7.0
