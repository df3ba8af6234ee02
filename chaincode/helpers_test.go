package chaincode_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/chaincode"
	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/network"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/stretchr/testify/require"
)

// The conformance tests run on the embedded ledger always, and also on the
// native Fabric network when -fabric names its directory (make test does).
var (
	fabricDir  = flag.String("fabric", "", "also run the conformance tests on the native Fabric network in this directory")
	fabricPort = flag.Int("fabric-port", 17000, "base port of that network")
)

// Member orgs, as the Fabric network names them.
const (
	dataport = "DataportMSP"
	akdb     = "AKDBMSP"
	regioIT  = "RegioITMSP"
)

// env is the registry chaincode on one ledger, reached through client/: the
// admin of every member org, and a client identity of Dataport.
type env struct {
	t       testing.TB
	kind    string // embedded or fabric
	admins  map[string]*client.Client
	client  *client.Client
	channel string
	suffix  string         // makes record ids unique on a shared network
	ledger  *ledger.Ledger // embedded only
	// reconnect returns a new client with Dataport's client identity, as a
	// restarted process would have.
	reconnect func() *client.Client
}

// onEachLedger runs a conformance test on the embedded ledger and, with
// -fabric, on the Fabric network, with the same expectations.
func onEachLedger(t *testing.T, test func(t *testing.T, e *env)) {
	t.Run("embedded", func(t *testing.T) { test(t, newEmbeddedEnv(t, nil, false)) })
	if *fabricDir != "" {
		t.Run("fabric", func(t *testing.T) { test(t, newFabricEnv(t)) })
	}
}

// newEmbeddedEnv opens an embedded ledger with the registry chaincode and
// any extra chaincodes; durable turns fsync on (benchmarks measure it).
func newEmbeddedEnv(t testing.TB, extra map[string]shim.Chaincode, durable bool) *env {
	t.Helper()
	cc, err := chaincode.New()
	require.NoError(t, err)
	ccs := map[string]shim.Chaincode{chaincode.Name: cc}
	for k, v := range extra {
		ccs[k] = v
	}
	l, err := ledger.Open(t.TempDir(), ledger.Options{MSPID: dataport, Chaincodes: ccs, NoSync: !durable})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	as := func(msp, name string) *client.Client {
		id, err := l.Identity(msp, name)
		require.NoError(t, err)
		return client.New(client.NewEmbedded(l, id, chaincode.Name))
	}
	e := &env{t: t, kind: "embedded", channel: l.ChannelID(), ledger: l, admins: map[string]*client.Client{}, suffix: randomSuffix(t)}
	for _, msp := range []string{dataport, akdb, regioIT} {
		e.admins[msp] = as(msp, "admin")
	}
	e.client = as(dataport, "client")
	e.reconnect = func() *client.Client { return as(dataport, "client") }
	return e
}

func newFabricEnv(t testing.TB) *env {
	t.Helper()
	n, err := network.New(network.Config{Dir: *fabricDir, BasePort: *fabricPort})
	require.NoError(t, err)
	dial := func(msp, user string) *client.Client {
		cfg, err := n.Gateway(msp, user, chaincode.Name)
		require.NoError(t, err)
		cfg.AwaitPeers = n.GatewayPeers()
		b, err := client.DialFabric(cfg)
		require.NoError(t, err)
		c := client.New(b)
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	e := &env{t: t, kind: "fabric", channel: network.ChannelID, admins: map[string]*client.Client{}, suffix: randomSuffix(t)}
	for _, msp := range []string{dataport, akdb, regioIT} {
		e.admins[msp] = dial(msp, "Admin")
	}
	e.client = dial(dataport, "User1")
	e.reconnect = func() *client.Client { return dial(dataport, "User1") }
	return e
}

func randomSuffix(t testing.TB) string {
	b := make([]byte, 4)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return "-" + hex.EncodeToString(b)
}

// id makes a record id unique to this environment.
func (e *env) id(base string) string { return base + e.suffix }

func (e *env) admin(msp string) *client.Client { return e.admins[msp] }

func (e *env) height() uint64 {
	e.t.Helper()
	h, err := e.client.Height(context.Background())
	require.NoError(e.t, err)
	return h
}

// verify checks the embedded ledger's chain (Fabric peers validate their own).
func (e *env) verify() {
	e.t.Helper()
	if e.ledger != nil {
		require.NoError(e.t, e.ledger.Verify(context.Background()))
	}
}

// submit invokes a chaincode function and returns its JSON answer; a
// refusal comes back as the client's error, in which errors.As finds the
// *chaincode.Error.
func (e *env) submit(as *client.Client, fn string, args ...string) (string, error) {
	r, err := as.Submit(context.Background(), fn, args...)
	if err != nil {
		return "", err
	}
	return string(r.Payload), nil
}

func (e *env) evaluate(fn string, args ...string) (string, error) {
	out, err := e.client.Evaluate(context.Background(), fn, args...)
	return string(out), err
}

func decode[T any](t testing.TB, raw string) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal([]byte(raw), &v), raw)
	return v
}

func must(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}

// party is a registered party with a signing key.
type party struct {
	id  string
	key *ecdsa.PrivateKey
}

func (p party) address() string { return crypto.PubkeyToAddress(p.key.PublicKey).Hex() }

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.GenerateKey()
	require.NoError(t, err)
	return k
}

var nonces atomic.Uint64

func nonce() string { return fmt.Sprint(uint64(time.Now().UnixNano()) + nonces.Add(1)) }

func (e *env) replay() chaincode.Replay {
	return chaincode.Replay{Nonce: nonce(), Deadline: chaincode.Uint(time.Now().Add(time.Hour).Unix())}
}

func (e *env) sign(m chaincode.Message, key *ecdsa.PrivateKey) string {
	e.t.Helper()
	sig, err := chaincode.Sign(e.channel, m, key)
	require.NoError(e.t, err)
	return sig
}

func jsonOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// act submits a party's signed act. A message too malformed to hash goes
// out with a dummy signature: the chaincode must refuse its content first.
func (e *env) act(fn string, m chaincode.Message, key *ecdsa.PrivateKey) (string, error) {
	sig, err := chaincode.Sign(e.channel, m, key)
	if err != nil {
		sig = "0x00"
	}
	return e.submit(e.client, fn, jsonOf(e.t, m), sig)
}

func (e *env) mustAct(fn string, m chaincode.Message, key *ecdsa.PrivateKey) string {
	e.t.Helper()
	out, err := e.act(fn, m, key)
	require.NoError(e.t, err, "%s", fn)
	return out
}

// register registers a party vouched for by msp and gives it a key.
func (e *env) register(msp string, reg chaincode.PartyRegistration) party {
	e.t.Helper()
	if reg.InHouse == nil {
		reg.InHouse = []string{}
	}
	_, err := e.submit(e.admin(msp), "RegisterParty", jsonOf(e.t, reg))
	require.NoError(e.t, err, "register %s", reg.ID)
	p := party{id: reg.ID, key: newKey(e.t)}
	e.addKeyAsMember(msp, p.id, p.key, 0, 0)
	return p
}

func (e *env) addKeyAsMember(msp, id string, key *ecdsa.PrivateKey, from, until int64) {
	e.t.Helper()
	m := &chaincode.AddKeyMessage{Party: id, Key: crypto.PubkeyToAddress(key.PublicKey).Hex(),
		ValidFrom: chaincode.Uint(from), ValidUntil: chaincode.Uint(until), Replay: e.replay()}
	_, err := e.submit(e.admin(msp), "AddKeyAsMember", jsonOf(e.t, m), e.sign(m, key))
	require.NoError(e.t, err, "add key of %s", id)
}

// requireRefused checks that err carries a registry error with the code and field.
func requireRefused(t testing.TB, err error, code chaincode.Code, field string) {
	t.Helper()
	var re *chaincode.Error
	require.True(t, errors.As(err, &re), "want a registry error %s on %s, got %v", code, field, err)
	require.Equal(t, code, re.Code, "%v", re)
	require.Equal(t, field, re.Field, "%v", re)
	require.NotEmpty(t, re.Rule)
}

// The parties of the scenario: real municipalities and Länder (../shared/data).
func (e *env) koeln() chaincode.PartyRegistration {
	return chaincode.PartyRegistration{
		ID: e.id("stadt-koeln"), Kind: chaincode.KindKommune, Name: "Stadt Köln",
		ARS: "053150000000", AGS: "05315000", LeitwegID: "05315000-1234512345-" + leitwegCheck("053150001234512345"),
		InHouse: []string{e.id("govdigital")},
	}
}

func (e *env) govdigital() chaincode.PartyRegistration {
	return chaincode.PartyRegistration{ID: e.id("govdigital"), Kind: chaincode.KindAnbieter, Name: "govdigital eG"}
}

func (e *env) landMV() chaincode.PartyRegistration {
	return chaincode.PartyRegistration{ID: e.id("land-mv"), Kind: chaincode.KindLand, Name: "Land Mecklenburg-Vorpommern", AGS: "13000000"}
}

func leitwegCheck(digits string) string {
	return fmt.Sprintf("%02d", 98-mod97(digits+"00"))
}

func mod97(s string) int {
	r := 0
	for _, c := range s {
		r = (r*10 + int(c-'0')) % 97
	}
	return r
}
