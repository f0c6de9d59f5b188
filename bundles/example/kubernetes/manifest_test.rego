package kubernetes.manifest_test

import data.kubernetes.manifest

test_bare_deployment_gets_admission_messages if {
	manifest.deny == {
		"required-labels: Deployment 'web' lacks the required label 'data-classification'",
		"required-labels: Deployment 'web' lacks the required label 'owner'",
	} with input as {
		"kind": "Deployment",
		"metadata": {"name": "web", "namespace": "shop"},
		"spec": {"template": {"spec": {
			"securityContext": {"runAsNonRoot": true},
			"containers": [{
				"name": "web",
				"image": "registry.example.com/shop/web:1.0",
				"securityContext": {"runAsNonRoot": true},
				"resources": {"limits": {"cpu": "1", "memory": "256Mi"}},
			}],
		}}},
	}
}
