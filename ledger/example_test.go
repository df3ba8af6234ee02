package ledger_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/ledger/ledgertest"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

// Open a ledger that runs a contractapi chaincode, submit a transaction,
// evaluate a query and read the chaincode event back.
func Example() {
	dir, err := os.MkdirTemp("", "ledger-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	kv, err := ledgertest.New()
	if err != nil {
		log.Fatal(err)
	}
	l, err := ledger.Open(dir, ledger.Options{Chaincodes: map[string]shim.Chaincode{"kv": kv}})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	client, err := l.DefaultIdentity()
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	commit, err := l.Submit(ctx, client, ledger.Proposal{
		Chaincode: "kv", Function: "Emit",
		Args: [][]byte{[]byte("offering-1"), []byte("OfferingSubmitted"), []byte("Digitaler Bauantrag")},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("block", commit.BlockNumber, commit.ValidationCode)

	value, err := l.Evaluate(ctx, client, ledger.Proposal{Chaincode: "kv", Function: "Get", Args: [][]byte{[]byte("offering-1")}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(value))

	for ev, err := range l.ChaincodeEvents(ctx, "kv", ledger.Checkpoint{}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ev.Name, ev.TxID == commit.TxID)
		break
	}
	if err := l.Verify(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("chain verified")
	// Output:
	// block 1 VALID
	// Digitaler Bauantrag
	// OfferingSubmitted true
	// chain verified
}
