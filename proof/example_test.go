package proof_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/efa-marktplatz/registry/internal/demo"
	"github.com/efa-marktplatz/registry/internal/embedded"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/proof"
)

// An auditor verifies an agreement's proof bundle offline, against the root
// certificates they pinned, and sees a changed byte named.
func ExampleVerify() {
	dir, err := os.MkdirTemp("", "registry-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	l, err := embedded.Open(filepath.Join(dir, "ledger"), ledger.Options{MSPID: demo.Members[0], NoSync: true})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	if err := demo.Seed(ctx, l, dir); err != nil { // the demo's agreements, made by their parties
		log.Fatal(err)
	}
	registry, err := l.Client(demo.Members[0], "client")
	if err != nil {
		log.Fatal(err)
	}

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
	// true CONCLUDED 8 signed acts
	// false record written
}
