package lib

# Read from data loaded out of YAML and JSON files of every name.
max_replicas := data.cfg.limits.replicas

registry := data.cfg.deep.registry

allowed(image) if startswith(image, registry)
