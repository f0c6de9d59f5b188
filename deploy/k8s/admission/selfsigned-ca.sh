#!/bin/sh
# selfsigned-ca.sh [NAMESPACE] - TLS for the admission door without
# cert-manager: a CA and a serving certificate made with openssl, stored
# as the lockstep-admission-tls Secret, and the CA printed as the
# webhook's caBundle.  Run it again before the certificate expires (90
# days); the agents reload the renewed files without a restart.
set -eu
ns=${1:-lockstep}
svc=lockstep-admission
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$dir/ca.key" -out "$dir/ca.crt" -days 3650 \
	-subj "/CN=lockstep-admission-ca" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$dir/tls.key" -out "$dir/tls.csr" -subj "/CN=$svc.$ns.svc" 2>/dev/null
printf 'subjectAltName=DNS:%s.%s.svc,DNS:%s.%s.svc.cluster.local\nextendedKeyUsage=serverAuth\n' \
	"$svc" "$ns" "$svc" "$ns" >"$dir/ext"
openssl x509 -req -in "$dir/tls.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
	-CAcreateserial -days 90 -extfile "$dir/ext" -out "$dir/tls.crt" 2>/dev/null
kubectl -n "$ns" create secret tls lockstep-admission-tls \
	--cert="$dir/tls.crt" --key="$dir/tls.key" --dry-run=client -o yaml |
	kubectl apply -f -
ca=$(base64 -w0 <"$dir/ca.crt")
kubectl patch validatingwebhookconfiguration lockstep-admission --type=json \
	-p "[{\"op\":\"replace\",\"path\":\"/webhooks/0/clientConfig/caBundle\",\"value\":\"$ca\"}]" ||
	echo "selfsigned-ca.sh: apply webhook.yaml first, then run me again (caBundle: $ca)" >&2
echo "selfsigned-ca.sh: Secret lockstep-admission-tls in $ns, caBundle set"
