// Package embedded opens the registry on the embedded ledger: a ledger that
// runs the registry chaincode, and typed clients of its member identities —
// what registry-api's default backend, the demo, the tests and the load
// tools all start from.
package embedded

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/efa-marktplatz/registry/chaincode"
	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/internal/atomicfile"
	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

// Registry is the registry chaincode on an embedded ledger.
type Registry struct {
	*ledger.Ledger
	clock atomic.Pointer[func() time.Time]
}

// SetClock sets the time the ledger stamps transactions with from now on
// (nil: the options' clock, by default the wall clock): the demo dates its
// acts over the past year with it.
func (r *Registry) SetClock(clock func() time.Time) {
	if clock == nil {
		r.clock.Store(nil)
		return
	}
	r.clock.Store(&clock)
}

// FormatFile, in a ledger's directory, names the storage format of the
// registry's records in it (schema.StorageFormat), written before the store
// is created.
const FormatFile = "registry-format"

// ErrStorageFormat means the ledger holds records of another storage format.
var ErrStorageFormat = errors.New("embedded: the ledger holds the registry's records in another storage format")

// Open opens (or creates) the ledger in dir running the registry chaincode
// under its name, besides any chaincodes the options name. A ledger written
// in another storage format is refused (ErrStorageFormat), with what to do.
func Open(dir string, o ledger.Options) (*Registry, error) {
	created, err := checkFormat(dir)
	if err != nil {
		return nil, err
	}
	cc, err := chaincode.New()
	if err != nil {
		return nil, err
	}
	ccs := map[string]shim.Chaincode{chaincode.Name: cc}
	maps.Copy(ccs, o.Chaincodes)
	o.Chaincodes = ccs
	if created {
		// Before the store exists: a store never lacks its format file.
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("embedded: %w", err)
		}
		if err := atomicfile.Write(filepath.Join(dir, FormatFile), []byte(schema.StorageFormat+"\n"), 0o644); err != nil {
			return nil, fmt.Errorf("embedded: %w", err)
		}
	}
	r := &Registry{}
	base := o.Clock
	if base == nil {
		base = time.Now
	}
	o.Clock = func() time.Time {
		if c := r.clock.Load(); c != nil {
			return (*c)()
		}
		return base()
	}
	l, err := ledger.Open(dir, o)
	if err != nil {
		return nil, err
	}
	r.Ledger = l
	return r, nil
}

// checkFormat reports whether dir holds no ledger yet (so that Open
// creates one), or refuses a ledger of another storage format.
func checkFormat(dir string) (created bool, err error) {
	switch _, err := os.Stat(filepath.Join(dir, ledger.StoreFile)); {
	case errors.Is(err, fs.ErrNotExist):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("embedded: %w", err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, FormatFile))
	format := strings.TrimSpace(string(raw))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		format = "efa-registry-storage/1 (no " + FormatFile + ")"
	case err != nil:
		return false, fmt.Errorf("embedded: %w", err)
	case format == schema.StorageFormat:
		return false, nil
	}
	return false, fmt.Errorf("%w: %s holds %s, this build reads %s and does not migrate; "+
		"start with a fresh data directory, or serve this one with the build that wrote it", ErrStorageFormat, dir, format, schema.StorageFormat)
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
