#!/bin/sh
# Second job of the Docker topology, once orderers and peers run: join the
# orderers (osnadmin) and peers to the channel, then package, install,
# approve and commit the registry and kv chaincodes as services.
set -eu
R=/var/registry
C=$R/crypto
OA=$C/ordererOrganizations/cooperative.registry.test
ORDERER_CA=$OA/tlsca/tlsca.cooperative.registry.test-cert.pem
retry() { n=0; until "$@"; do n=$((n+1)); [ $n -lt 30 ] || return 1; sleep 2; done; }

for i in 0 1 2; do
  retry osnadmin channel join --channelID registry --config-block "$R/registry.block" \
    -o "orderer$i.cooperative.registry.test:7053" --ca-file "$ORDERER_CA" \
    --client-cert "$OA/users/Admin@cooperative.registry.test/tls/client.crt" \
    --client-key "$OA/users/Admin@cooperative.registry.test/tls/client.key" || true
done

as_admin() { # as_admin ORG-DOMAIN MSPID
  export CORE_PEER_LOCALMSPID="$2" CORE_PEER_TLS_ENABLED=true
  export CORE_PEER_MSPCONFIGPATH="$C/peerOrganizations/$1/users/Admin@$1/msp"
  export CORE_PEER_ADDRESS="peer0.$1:7051"
  export CORE_PEER_TLS_ROOTCERT_FILE="$C/peerOrganizations/$1/tlsca/tlsca.$1-cert.pem"
}

ORGS="dataport.registry.test:DataportMSP akdb.registry.test:AKDBMSP regioit.registry.test:RegioITMSP"
for o in $ORGS; do
  as_admin "${o%%:*}" "${o##*:}"
  peer channel list | grep -qx registry || retry peer channel join -b "$R/registry.block"
done

for cc in registry kv; do
  for o in $ORGS; do
    domain=${o%%:*}; org=${domain%%.*}
    label="${cc}_${org}"
    dir=$(mktemp -d)
    printf '{"address":"%s.%s:9999","dial_timeout":"10s","tls_required":false}' "$cc" "$domain" > "$dir/connection.json"
    (cd "$dir" && tar czf code.tar.gz connection.json)
    printf '{"type":"ccaas","label":"%s"}' "$label" > "$dir/metadata.json"
    (cd "$dir" && tar czf "$R/$label.tar.gz" metadata.json code.tar.gz)
    as_admin "$domain" "${o##*:}"
    id=$(peer lifecycle chaincode calculatepackageid "$R/$label.tar.gz")
    peer lifecycle chaincode queryinstalled | grep -q "$id" || peer lifecycle chaincode install "$R/$label.tar.gz"
    echo "$id" > "$R/$label.id"
    retry peer lifecycle chaincode approveformyorg -o orderer0.cooperative.registry.test:7050 --tls --cafile "$ORDERER_CA" \
      --channelID registry --name "$cc" --version 1.0 --sequence 1 --package-id "$id"
  done
  as_admin dataport.registry.test DataportMSP
  peer lifecycle chaincode querycommitted --channelID registry --name "$cc" >/dev/null 2>&1 || \
    retry peer lifecycle chaincode commit -o orderer0.cooperative.registry.test:7050 --tls --cafile "$ORDERER_CA" \
      --channelID registry --name "$cc" --version 1.0 --sequence 1 \
      --peerAddresses peer0.dataport.registry.test:7051 --tlsRootCertFiles "$C/peerOrganizations/dataport.registry.test/tlsca/tlsca.dataport.registry.test-cert.pem" \
      --peerAddresses peer0.akdb.registry.test:7051 --tlsRootCertFiles "$C/peerOrganizations/akdb.registry.test/tlsca/tlsca.akdb.registry.test-cert.pem" \
      --peerAddresses peer0.regioit.registry.test:7051 --tlsRootCertFiles "$C/peerOrganizations/regioit.registry.test/tlsca/tlsca.regioit.registry.test-cert.pem"
done
