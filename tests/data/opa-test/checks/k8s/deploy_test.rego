package k8s

test_max_replicas if data.lib.max_replicas == 3

test_yml_at_dir_path if data.lib.allowed("registry.example.com/app:1")

test_json_any_name if data.cfg.owners == ["alice"]

test_local_data if data.k8s.fixture.kind == "Deployment"
