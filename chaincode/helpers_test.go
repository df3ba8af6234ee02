package chaincode_test

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/chaincode"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/stretchr/testify/require"
)

// Member orgs of the test network.
const (
	dataport = "DataportMSP"
	akdb     = "AKDBMSP"
)

// env is a registry chaincode on an embedded ledger, with member admins.
type env struct {
	t       testing.TB
	l       *ledger.Ledger
	client  *ledger.Identity
	channel string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	cc, err := chaincode.New()
	require.NoError(t, err)
	l, err := ledger.Open(t.TempDir(), ledger.Options{
		MSPID:      dataport,
		Chaincodes: map[string]shim.Chaincode{chaincode.Name: cc},
		NoSync:     true,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	client, err := l.DefaultIdentity()
	require.NoError(t, err)
	return &env{t: t, l: l, client: client, channel: l.ChannelID()}
}

func (e *env) admin(msp string) *ledger.Identity {
	e.t.Helper()
	id, err := e.l.Identity(msp, "admin")
	require.NoError(e.t, err)
	return id
}

// submit invokes a chaincode function and returns its JSON answer or the
// chaincode's *chaincode.Error.
func (e *env) submit(as *ledger.Identity, fn string, args ...string) (string, error) {
	bs := make([][]byte, len(args))
	for i, a := range args {
		bs[i] = []byte(a)
	}
	c, err := e.l.Submit(context.Background(), as, ledger.Proposal{Chaincode: chaincode.Name, Function: fn, Args: bs})
	if err != nil {
		return "", chaincodeErr(err)
	}
	return string(c.Payload), nil
}

func (e *env) evaluate(fn string, args ...string) (string, error) {
	bs := make([][]byte, len(args))
	for i, a := range args {
		bs[i] = []byte(a)
	}
	out, err := e.l.Evaluate(context.Background(), e.client, ledger.Proposal{Chaincode: chaincode.Name, Function: fn, Args: bs})
	if err != nil {
		return "", chaincodeErr(err)
	}
	return string(out), nil
}

// chaincodeErr turns a ledger ChaincodeError carrying a registry error into that error.
func chaincodeErr(err error) error {
	var ce *ledger.ChaincodeError
	if errors.As(err, &ce) {
		if re, ok := chaincode.ParseError(ce.Message); ok {
			return re
		}
	}
	return err
}

func decode[T any](t testing.TB, raw string) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal([]byte(raw), &v), raw)
	return v
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

func nonce() string { return fmt.Sprint(nonces.Add(1)) }

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

// requireRefused checks that err is a registry error with the code and field.
func requireRefused(t testing.TB, err error, code chaincode.Code, field string) {
	t.Helper()
	var re *chaincode.Error
	require.True(t, errors.As(err, &re), "want a registry error %s on %s, got %v", code, field, err)
	require.Equal(t, code, re.Code, "%v", re)
	require.Equal(t, field, re.Field, "%v", re)
	require.NotEmpty(t, re.Rule)
}

// Reference data for the scenario: real municipalities (../shared/data).
var (
	koeln = chaincode.PartyRegistration{
		ID: "stadt-koeln", Kind: chaincode.KindKommune, Name: "Stadt Köln",
		ARS: "053150000000", AGS: "05315000", LeitwegID: "05315000-1234512345-" + leitwegCheck("053150001234512345"),
		InHouse: []string{"govdigital"},
	}
	govdigital = chaincode.PartyRegistration{ID: "govdigital", Kind: chaincode.KindAnbieter, Name: "govdigital eG"}
	landMV     = chaincode.PartyRegistration{ID: "land-mv", Kind: chaincode.KindLand, Name: "Land Mecklenburg-Vorpommern", AGS: "13000000"}
)

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
