package proof_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/efa-marktplatz/registry/chaincode"
	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/internal/demo"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/proof"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

// An auditor verifies an agreement's proof bundle offline, against the root
// certificates they pinned, and sees a changed byte named.
func ExampleVerify() {
	dir, err := os.MkdirTemp("", "registry-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cc, err := chaincode.New()
	if err != nil {
		log.Fatal(err)
	}
	l, err := ledger.Open(filepath.Join(dir, "ledger"), ledger.Options{MSPID: demo.Members[0], Chaincodes: map[string]shim.Chaincode{chaincode.Name: cc}, NoSync: true})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	if err := demo.Seed(ctx, l, dir); err != nil {
		log.Fatal(err)
	}
	id, err := l.Identity(demo.Members[0], "client")
	if err != nil {
		log.Fatal(err)
	}
	registry := client.New(client.NewEmbedded(l, id, chaincode.Name))

	// The registry hands out the bundle (GET /v1/agreements/{id}/proof) …
	bundle, err := proof.Build(ctx, registry, "koeln-bauantrag", proof.BuildOptions{})
	if err != nil {
		log.Fatal(err)
	}
	// … the auditor pins the roots they trust, and verifies.
	trust, err := proof.LoadRoots(filepath.Join(dir, "ledger", "msp"))
	if err != nil {
		log.Fatal(err)
	}
	report, terms := proof.Verify(bundle, trust)
	fmt.Println(report.OK, terms.Status, len(terms.Acts), "signed acts")

	bundle.Records.Agreement = bytes.Replace(bundle.Records.Agreement, []byte("CONCLUDED"), []byte("TERMINATED"), 1)
	report, _ = proof.Verify(bundle, trust)
	fmt.Println(report.OK, report.FirstFailure.Check)
	// Output:
	// true CONCLUDED 7 signed acts
	// false record written
}
