package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/efa-marktplatz/registry/chaincode"
	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

// A member org registers a party it vouches for and gives it its first
// signing key, then reads the party back — through the typed client over the
// embedded ledger (client.DialFabric reaches a Fabric network the same way).
func Example() {
	dir, err := os.MkdirTemp("", "registry-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cc, err := chaincode.New()
	if err != nil {
		log.Fatal(err)
	}
	l, err := ledger.Open(dir, ledger.Options{MSPID: "DataportMSP", Chaincodes: map[string]shim.Chaincode{chaincode.Name: cc}, NoSync: true})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	id, err := l.Identity("DataportMSP", "admin")
	if err != nil {
		log.Fatal(err)
	}
	admin := client.New(client.NewEmbedded(l, id, chaincode.Name))
	ctx := context.Background()

	if _, err := admin.RegisterParty(ctx, schema.PartyRegistration{
		ID: "stadt-koeln", Kind: schema.KindKommune, Name: "Stadt Köln", ARS: "053150000000", AGS: "05315000",
	}); err != nil {
		log.Fatal(err)
	}
	// The new key signs its own registration (proof of possession); the
	// member's admin submits it.
	_, addKey, err := schema.NewPartyKey(l.ChannelID(), "stadt-koeln", schema.Replay{Nonce: "1", Deadline: 4102444800})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := admin.Act(ctx, addKey); err != nil {
		log.Fatal(err)
	}
	p, err := admin.Party(ctx, "stadt-koeln")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Name, "vouched for by", p.VouchedBy, "with", len(p.Keys), "key")

	// A refusal is a typed error naming the field.
	_, err = admin.RegisterParty(ctx, schema.PartyRegistration{ID: "stadt-koeln", Kind: schema.KindKommune, Name: "Stadt Köln", AGS: "05315000"})
	var refused *schema.Error
	if errors.As(err, &refused) {
		fmt.Println(refused.Code, refused.Field)
	}
	// Output:
	// Stadt Köln vouched for by DataportMSP with 1 key
	// conflict id
}
