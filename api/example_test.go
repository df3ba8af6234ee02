package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/efa-marktplatz/registry/api"
	"github.com/efa-marktplatz/registry/chaincode"
	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

// The API over an embedded ledger, served on 127.0.0.1: a portal fetches
// the signing material and learns where each act is posted.
func ExampleNew() {
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
	as := func(user string) *client.Client {
		id, err := l.Identity("DataportMSP", user)
		if err != nil {
			log.Fatal(err)
		}
		return client.New(client.NewEmbedded(l, id, chaincode.Name))
	}
	a, err := api.New(api.Config{
		Client: as("client"), Admin: as("admin"), Channel: l.ChannelID(), AdminToken: "member-token",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(a)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/v1/eip712")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var signing schema.EIP712
	if err := json.NewDecoder(resp.Body).Decode(&signing); err != nil {
		log.Fatal(err)
	}
	order := signing.Endpoints[schema.TypePlaceOrder]
	fmt.Println(resp.StatusCode, signing.Domain["name"])
	fmt.Println(schema.TypePlaceOrder, "→", order.Method, order.Path, "with", order.PathField, "as {id}")
	// Output:
	// 200 EfA Contract Registry
	// PlaceOrder → POST /v1/agreements/{id}/order with agreement as {id}
}
