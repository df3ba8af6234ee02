// Command registry-chaincode serves the registry chaincode as a service
// (Fabric CCaaS): the peer dials it at the address in the package's
// connection.json. It reads its identity and listen address from the
// environment, as the peer's external builder arranges:
//
//	CHAINCODE_ID             the package ID (label:hash) installed on the peer
//	CHAINCODE_SERVER_ADDRESS host:port to listen on
//	CHAINCODE_TLS_CERT       PEM server certificate (TLS on when set)
//	CHAINCODE_TLS_KEY        PEM server key
//
// With -contract kv it serves the trivial key-value contract instead, the
// reference that benchmarks measure the registry against.
package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/efa-marktplatz/registry/chaincode"
	"github.com/efa-marktplatz/registry/ledger/ledgertest"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

func main() {
	contract := flag.String("contract", "registry", "chaincode to serve: registry or kv")
	flag.Parse()
	if err := serve(*contract); err != nil {
		slog.Error("registry-chaincode failed", "err", err)
		os.Exit(1)
	}
}

func serve(contract string) error {
	var cc shim.Chaincode
	var err error
	switch contract {
	case "registry":
		cc, err = chaincode.New()
	case "kv":
		cc, err = ledgertest.New()
	default:
		return fmt.Errorf("unknown contract %q: want registry or kv", contract)
	}
	if err != nil {
		return err
	}
	id, addr := os.Getenv("CHAINCODE_ID"), os.Getenv("CHAINCODE_SERVER_ADDRESS")
	if id == "" || addr == "" {
		return errors.New("CHAINCODE_ID and CHAINCODE_SERVER_ADDRESS must be set")
	}
	server := &shim.ChaincodeServer{CCID: id, Address: addr, CC: cc, TLSProps: shim.TLSProperties{Disabled: true}}
	if certFile := os.Getenv("CHAINCODE_TLS_CERT"); certFile != "" {
		cert, err := os.ReadFile(certFile)
		if err != nil {
			return fmt.Errorf("TLS certificate: %w", err)
		}
		key, err := os.ReadFile(os.Getenv("CHAINCODE_TLS_KEY"))
		if err != nil {
			return fmt.Errorf("TLS key: %w", err)
		}
		server.TLSProps = shim.TLSProperties{Disabled: false, Cert: cert, Key: key}
	}
	slog.Info("serving chaincode", "contract", contract, "id", id, "address", addr, "tls", !server.TLSProps.Disabled)
	if err := server.Start(); err != nil {
		return fmt.Errorf("chaincode server: %w", err)
	}
	return nil
}
