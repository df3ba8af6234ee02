// Package embedded opens the registry on the embedded ledger: a ledger that
// runs the registry chaincode, and typed clients of its member identities —
// what registry-api's default backend, the demo, the tests and the load
// tools all start from.
package embedded

import (
	"fmt"
	"maps"

	"github.com/efa-marktplatz/registry/chaincode"
	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

// Registry is the registry chaincode on an embedded ledger.
type Registry struct {
	*ledger.Ledger
}

// Open opens (or creates) the ledger in dir running the registry chaincode
// under its name, besides any chaincodes the options name.
func Open(dir string, o ledger.Options) (*Registry, error) {
	cc, err := chaincode.New()
	if err != nil {
		return nil, err
	}
	ccs := map[string]shim.Chaincode{chaincode.Name: cc}
	maps.Copy(ccs, o.Chaincodes)
	o.Chaincodes = ccs
	l, err := ledger.Open(dir, o)
	if err != nil {
		return nil, err
	}
	return &Registry{Ledger: l}, nil
}

// Client is a registry client of a member org's identity: "client" relays
// the parties' acts and reads, "admin" administers the parties the member
// vouches for.
func (r *Registry) Client(msp, user string) (*client.Client, error) {
	id, err := r.Identity(msp, user)
	if err != nil {
		return nil, fmt.Errorf("embedded: identity %s of %s: %w", user, msp, err)
	}
	return client.New(client.NewEmbedded(r.Ledger, id, chaincode.Name)), nil
}

// Scenario is the registry as scenarios reach it: relay's client identity
// relays the parties' acts, and each of the members' admins administers the
// parties it vouches for.
func (r *Registry) Scenario(relay string, members ...string) (*scenario.Clients, error) {
	c, err := r.Client(relay, "client")
	if err != nil {
		return nil, err
	}
	out := &scenario.Clients{ChannelID: r.ChannelID(), Relay: c, Admins: map[string]*client.Client{}}
	for _, msp := range members {
		if out.Admins[msp], err = r.Client(msp, "admin"); err != nil {
			return nil, err
		}
	}
	return out, nil
}
