package chaincode_test

import (
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"testing"

	"github.com/efa-marktplatz/registry/chaincode"
	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/internal/embedded"
	"github.com/efa-marktplatz/registry/internal/fabrictest"
	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/network"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/stretchr/testify/require"
)

// env is the registry chaincode on one ledger, reached through client/: the
// admin of every member org, and a client identity of Dataport that relays
// the parties' acts. Its builder makes the records, with ids unique to the
// environment.
type env struct {
	t      testing.TB
	kind   string // embedded or fabric
	admins map[string]*client.Client
	client *client.Client
	b      *scenario.Builder
	ledger *ledger.Ledger // embedded only
	// reconnect returns a new client with Dataport's client identity, as a
	// restarted process would have.
	reconnect func() *client.Client
}

// onEachLedger runs a conformance test on the embedded ledger and, with
// -fabric, on the Fabric network, with the same expectations.
func onEachLedger(t *testing.T, test func(t *testing.T, e *env)) {
	t.Run("embedded", func(t *testing.T) { test(t, newEmbeddedEnv(t, nil, false)) })
	if fabrictest.Enabled() {
		t.Run("fabric", func(t *testing.T) { test(t, newFabricEnv(t)) })
	}
}

// newEmbeddedEnv opens an embedded ledger with the registry chaincode and
// any extra chaincodes; durable turns fsync on (benchmarks measure it).
func newEmbeddedEnv(t testing.TB, extra map[string]shim.Chaincode, durable bool) *env {
	t.Helper()
	l, err := embedded.Open(t.TempDir(), ledger.Options{MSPID: scenario.Dataport, Chaincodes: extra, NoSync: !durable})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	as := func(msp, name string) *client.Client {
		c, err := l.Client(msp, name)
		require.NoError(t, err)
		return c
	}
	e := newEnv(t, "embedded", l.ChannelID(), func() *client.Client { return as(scenario.Dataport, "client") },
		func(msp string) *client.Client { return as(msp, "admin") })
	e.ledger = l.Ledger
	return e
}

func newFabricEnv(t testing.TB) *env {
	t.Helper()
	n, err := network.New(fabrictest.NetworkConfig())
	require.NoError(t, err)
	dial := func(msp, user string) *client.Client { return fabrictest.Client(t, n, msp, user, chaincode.Name) }
	return newEnv(t, "fabric", network.ChannelID, func() *client.Client { return dial(scenario.Dataport, "User1") },
		func(msp string) *client.Client { return dial(msp, "Admin") })
}

// newEnv connects Dataport's client identity and every member's admin, and
// builds records through them with ids unique to the environment: on a
// shared network other tests' records are there too.
func newEnv(t testing.TB, kind, channel string, connect func() *client.Client, admin func(msp string) *client.Client) *env {
	t.Helper()
	e := &env{t: t, kind: kind, admins: map[string]*client.Client{}, client: connect(), reconnect: connect}
	for _, msp := range scenario.Members {
		e.admins[msp] = admin(msp)
	}
	e.b = scenario.New(&scenario.Clients{ChannelID: channel, Relay: e.client, Admins: e.admins}, scenario.WithRandomSuffix())
	return e
}

func (e *env) admin(msp string) *client.Client { return e.admins[msp] }

func (e *env) height() uint64 {
	e.t.Helper()
	h, err := e.client.Height(e.t.Context())
	require.NoError(e.t, err)
	return h
}

// verify checks the embedded ledger's chain (Fabric peers validate their own).
func (e *env) verify() {
	e.t.Helper()
	if e.ledger != nil {
		require.NoError(e.t, e.ledger.Verify(e.t.Context()))
	}
}

// marketplace is the standard scenario, its parties spread over the member
// orgs: the offering submitted and accepted, a price model published.
func (e *env) marketplace() *scenario.Marketplace {
	e.t.Helper()
	m, err := e.b.Marketplace(e.t.Context(), scenario.SpreadVouching)
	require.NoError(e.t, err)
	require.Equal(e.t, schema.OfferingSubmitted, m.Submitted.Status)
	require.Equal(e.t, schema.OfferingPublished, m.Offering.Status)
	return m
}

// party registers a party vouched for by msp and gives it a key.
func (e *env) party(msp string, reg schema.PartyRegistration) *scenario.Party {
	e.t.Helper()
	p, err := e.b.Party(e.t.Context(), msp, reg)
	require.NoError(e.t, err, "register %s", reg.ID)
	return p
}

// addKey registers a key of a party on its member's authority.
func (e *env) addKey(p *scenario.Party, key *ecdsa.PrivateKey, from, until int64) {
	e.t.Helper()
	_, err := e.b.AddKey(e.t.Context(), p, key, from, until)
	require.NoError(e.t, err, "add key of %s", p.ID)
}

// fees are the default fees with another annual fee.
func fees(annual schema.Uint) schema.Fees {
	f := scenario.DefaultFees
	f.AnnualFee = annual
	return f
}

func decode[T any](t testing.TB, raw []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(raw, &v), "%s", raw)
	return v
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.GenerateKey()
	require.NoError(t, err)
	return k
}

// signature is a key's EIP-712 signature of a message.
func (e *env) signature(m schema.Message, key *ecdsa.PrivateKey) string {
	e.t.Helper()
	sig, err := schema.Sign(e.b.Channel(), m, key)
	require.NoError(e.t, err)
	return sig
}

// signed is a message signed with a key, as a wallet signs it. A message too
// malformed to hash goes out with a dummy signature: the chaincode must
// refuse its content first.
func (e *env) signed(m schema.Message, key *ecdsa.PrivateKey) *schema.Act {
	e.t.Helper()
	act, err := schema.SignAct(e.b.Channel(), m, key)
	if err != nil {
		act, err = schema.NewAct(m, "0x00", "")
		require.NoError(e.t, err)
	}
	return act
}

// byMember is a key act on the member's authority, without the party's
// signature (with the new key's proof of possession for AddKey).
func (e *env) byMember(m schema.Message, proofOfPossession string) *schema.Act {
	e.t.Helper()
	act, err := schema.NewAct(m, "", proofOfPossession)
	require.NoError(e.t, err)
	return act
}

// act submits a message signed with key through Dataport's client identity;
// a refusal comes back as the client's error, in which errors.As finds the
// *schema.Error.
func (e *env) act(m schema.Message, key *ecdsa.PrivateKey) (*client.Result, error) {
	return e.client.Act(e.t.Context(), e.signed(m, key))
}

// mustAct submits a signed act and returns the record it changed.
func (e *env) mustAct(m schema.Message, key *ecdsa.PrivateKey) json.RawMessage {
	e.t.Helper()
	r, err := e.act(m, key)
	require.NoError(e.t, err, "%s", m.PrimaryType())
	return r.Payload
}

// requireRefused checks that err carries a registry error with the code and field.
func requireRefused(t testing.TB, err error, code schema.Code, field string) {
	t.Helper()
	var re *schema.Error
	require.True(t, errors.As(err, &re), "want a registry error %s on %s, got %v", code, field, err)
	require.Equal(t, code, re.Code, "%v", re)
	require.Equal(t, field, re.Field, "%v", re)
	require.NotEmpty(t, re.Rule)
}
