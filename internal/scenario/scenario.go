// Package scenario builds marketplace scenarios: parties with signing keys,
// offerings, price models, and agreements driven to a given state — the test
// data of the chaincode, API and proof tests, the demo and the load tools.
// Every record is made as the parties would make it: member orgs register
// parties and their first keys, parties sign their acts (EIP-712), and the
// acts go to the registry through a Registry: the typed client (Clients) or
// the REST API (HTTP).
package scenario

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"path/filepath"
	"time"

	"github.com/efa-marktplatz/registry/internal/atomicfile"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/ethereum/go-ethereum/crypto"
)

// Registry is how a scenario reaches the registry.
type Registry interface {
	// Channel names the channel whose EIP-712 domain acts are signed for.
	Channel() string
	// RegisterParty registers a party on the authority of a member org (its
	// MSP id) and returns the party as stored.
	RegisterParty(ctx context.Context, member string, reg schema.PartyRegistration) (json.RawMessage, error)
	// Act submits a signed act — on the member's authority (schema.ByMember)
	// as an admin of member — and returns the record it changed.
	Act(ctx context.Context, member string, act *schema.Act) (json.RawMessage, error)
	// RecordFigures records reference figures on the authority of a member
	// org and returns them as recorded.
	RecordFigures(ctx context.Context, member string, b schema.FigureBatch) (json.RawMessage, error)
	// SetPartyDetails replaces a party's details on the authority of its
	// member org and returns the party.
	SetPartyDetails(ctx context.Context, member, party string, d schema.PartyDetails) (json.RawMessage, error)
}

// The member orgs of the scenarios, as the native Fabric network names them.
const (
	Dataport = "DataportMSP"
	AKDB     = "AKDBMSP"
	RegioIT  = "RegioITMSP"
)

// Members are the member orgs, in the order the networks list them.
var Members = []string{Dataport, AKDB, RegioIT}

// Builder makes records through a Registry.
type Builder struct {
	r      Registry
	suffix string
	keyDir string
	clock  func() time.Time
}

// Option configures a Builder.
type Option func(*Builder)

// WithSuffix appends a suffix to every id ID makes, so that scenarios on a
// shared ledger (a Fabric network the tests share) do not collide.
func WithSuffix(s string) Option { return func(b *Builder) { b.suffix = s } }

// WithRandomSuffix appends a random suffix ("-" and 8 hex digits).
func WithRandomSuffix() Option {
	var r [4]byte
	if _, err := rand.Read(r[:]); err != nil {
		panic(fmt.Sprintf("scenario: random suffix: %v", err)) // crypto/rand does not fail on Linux
	}
	return WithSuffix("-" + hex.EncodeToString(r[:]))
}

// WithKeyDir saves each party's key in dir/<party>.key (hex, mode 0600,
// synced to disk) before the key is registered, so that no registered key
// is ever lost with the process.
func WithKeyDir(dir string) Option { return func(b *Builder) { b.keyDir = dir } }

// WithClock sets the time acts are signed at (their deadlines follow it):
// the clock of an embedded ledger that plays through years (ledger.Options.Clock).
func WithClock(clock func() time.Time) Option { return func(b *Builder) { b.clock = clock } }

// New returns a builder over a registry.
func New(r Registry, opts ...Option) *Builder {
	b := &Builder{r: r, clock: time.Now}
	for _, o := range opts {
		o(b)
	}
	return b
}

// Registry returns the registry the builder acts on.
func (b *Builder) Registry() Registry { return b.r }

// Channel is the channel acts are signed for.
func (b *Builder) Channel() string { return b.r.Channel() }

// ID makes an id unique to this builder (see WithSuffix).
func (b *Builder) ID(base string) string { return base + b.suffix }

// Suffix is what ID appends.
func (b *Builder) Suffix() string { return b.suffix }

var maxNonce = new(big.Int).Lsh(big.NewInt(1), 128)

// Replay is a fresh nonce (random, 128 bits) and a deadline an hour ahead.
func (b *Builder) Replay() schema.Replay {
	n, err := rand.Int(rand.Reader, maxNonce)
	if err != nil {
		panic(fmt.Sprintf("scenario: nonce: %v", err)) // crypto/rand does not fail on Linux
	}
	return schema.Replay{Nonce: n.String(), Deadline: schema.Uint(b.clock().Add(time.Hour).Unix())}
}

// Party is a registered party and its signing key.
type Party struct {
	ID     string
	Member string // the member org that vouches for it
	Key    *ecdsa.PrivateKey
}

// Address is the party's signing address.
func (p *Party) Address() string { return crypto.PubkeyToAddress(p.Key.PublicKey).Hex() }

// Party registers a party on the authority of a member org and gives it a
// fresh key, registered by the member's admin with the key's proof of
// possession.
func (b *Builder) Party(ctx context.Context, member string, reg schema.PartyRegistration) (*Party, error) {
	if _, err := b.r.RegisterParty(ctx, member, reg); err != nil {
		return nil, fmt.Errorf("scenario: register %s: %w", reg.ID, err)
	}
	p := &Party{ID: reg.ID, Member: member}
	key, err := b.AddKey(ctx, p, nil, 0, 0)
	if err != nil {
		return nil, err
	}
	p.Key = key
	return p, nil
}

// AddKey registers a key for a party on its member's authority (a fresh key
// when key is nil), valid from and until the given Unix times (0: from now,
// open-ended), and returns it.
func (b *Builder) AddKey(ctx context.Context, p *Party, key *ecdsa.PrivateKey, from, until int64) (*ecdsa.PrivateKey, error) {
	if key == nil {
		var err error
		if key, err = crypto.GenerateKey(); err != nil {
			return nil, fmt.Errorf("scenario: new key: %w", err)
		}
	}
	m := &schema.AddKeyMessage{Party: p.ID, Key: crypto.PubkeyToAddress(key.PublicKey).Hex(),
		ValidFrom: schema.Uint(from), ValidUntil: schema.Uint(until), Replay: b.Replay()}
	pop, err := schema.Sign(b.Channel(), m, key)
	if err != nil {
		return nil, err
	}
	act, err := schema.NewAct(m, "", pop)
	if err != nil {
		return nil, err
	}
	if b.keyDir != "" && p.Key == nil {
		path := filepath.Join(b.keyDir, p.ID+".key")
		if err := atomicfile.Write(path, []byte(hex.EncodeToString(crypto.FromECDSA(key))+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("scenario: key of %s: %w", p.ID, err)
		}
	}
	if _, err := b.r.Act(ctx, p.Member, act); err != nil {
		return nil, fmt.Errorf("scenario: key of %s: %w", p.ID, err)
	}
	return key, nil
}

// Sign signs a message with a party's key.
func (b *Builder) Sign(p *Party, m schema.Message) (*schema.Act, error) {
	return schema.SignAct(b.Channel(), m, p.Key)
}

// Act signs a message with a party's key, submits it and decodes the
// record it changed into out (when out is not nil).
func (b *Builder) Act(ctx context.Context, p *Party, m schema.Message, out any) error {
	act, err := b.Sign(p, m)
	if err != nil {
		return err
	}
	raw, err := b.r.Act(ctx, p.Member, act)
	if err != nil {
		return fmt.Errorf("scenario: %s by %s: %w", m.PrimaryType(), p.ID, err)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("scenario: %s by %s: decode %s: %w", m.PrimaryType(), p.ID, raw, err)
	}
	return nil
}
