package api_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/api"
	"github.com/efa-marktplatz/registry/chaincode"
	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/network"
	"github.com/efa-marktplatz/registry/proof"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/stretchr/testify/require"
)

// The end-to-end tests run over real HTTP on the embedded ledger always, and
// also on the native Fabric network when -fabric names its directory.
var (
	fabricDir  = flag.String("fabric", "", "also run the end-to-end tests on the native Fabric network in this directory")
	fabricPort = flag.Int("fabric-port", 17000, "base port of that network")
)

const token = "test-member-token"

func init() {
	openapi3filter.RegisterBodyDecoder("application/problem+json", openapi3filter.JSONBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/plain", openapi3filter.PlainBodyDecoder)
}

// harness is the API served over HTTP on 127.0.0.1, with a client that
// checks every request and response against the OpenAPI document.
type harness struct {
	t       testing.TB
	url     string
	channel string
	suffix  string
	api     *api.API
	ledger  *ledger.Ledger // embedded only
	trust   *proof.Trust
	router  routers.Router
	nonce   atomic.Uint64
}

func onEachBackend(t *testing.T, test func(t *testing.T, h *harness)) {
	t.Run("embedded", func(t *testing.T) { test(t, newEmbedded(t, api.Config{})) })
	if *fabricDir != "" {
		t.Run("fabric", func(t *testing.T) { test(t, newFabric(t)) })
	}
}

// newEmbedded serves the API over an embedded ledger; cfg's zero fields get
// the harness's clients and token.
func newEmbedded(t testing.TB, cfg api.Config) *harness {
	t.Helper()
	cc, err := chaincode.New()
	require.NoError(t, err)
	dir := t.TempDir()
	l, err := ledger.Open(dir, ledger.Options{MSPID: "DataportMSP", Chaincodes: map[string]shim.Chaincode{chaincode.Name: cc}, NoSync: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	as := func(name string) *client.Client {
		id, err := l.Identity("DataportMSP", name)
		require.NoError(t, err)
		return client.New(client.NewEmbedded(l, id, chaincode.Name))
	}
	cfg.Client, cfg.Admin, cfg.Channel = as("client"), as("admin"), l.ChannelID()
	if cfg.Trust == nil {
		cfg.Trust, err = proof.LoadRoots(filepath.Join(dir, "msp"))
		require.NoError(t, err)
	}
	h := serve(t, cfg)
	h.ledger = l
	return h
}

func newFabric(t testing.TB) *harness {
	t.Helper()
	n, err := network.New(network.Config{Dir: *fabricDir, BasePort: *fabricPort})
	require.NoError(t, err)
	dial := func(user string) *client.Client {
		cfg, err := n.Gateway("DataportMSP", user, chaincode.Name)
		require.NoError(t, err)
		cfg.AwaitPeers = n.GatewayPeers()
		b, err := client.DialFabric(cfg)
		require.NoError(t, err)
		c := client.New(b)
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	return serve(t, api.Config{Client: dial("User1"), Admin: dial("Admin"), Channel: network.ChannelID, Trust: networkTrust(t, n)})
}

// networkTrust is what an auditor pins for the network: the CA roots of the
// orderer org and of every member org, and the genesis block.
func networkTrust(t testing.TB, n *network.Network) *proof.Trust {
	t.Helper()
	trust, err := proof.FabricTrust(n.RootFiles(), n.GenesisBlock())
	require.NoError(t, err)
	return trust
}

func serve(t testing.TB, cfg api.Config) *harness {
	t.Helper()
	if cfg.AdminToken == "" {
		cfg.AdminToken = token
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.ActsPerSecond == 0 {
		cfg.ActsPerSecond = 1000
		cfg.ActBurst = 1000
	}
	a, err := api.New(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(a) // on 127.0.0.1
	t.Cleanup(srv.Close)
	doc, err := a.OpenAPI()
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()))
	doc.Servers = openapi3.Servers{{URL: srv.URL}}
	router, err := gorillamux.NewRouter(doc)
	require.NoError(t, err)
	b := make([]byte, 4)
	_, err = rand.Read(b)
	require.NoError(t, err)
	return &harness{t: t, url: srv.URL, channel: cfg.Channel, suffix: "-" + hex.EncodeToString(b), api: a, router: router, trust: cfg.Trust}
}

func (h *harness) id(base string) string { return base + h.suffix }

// response is an HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.body, v), "%s", r.body)
}

func (r response) problem(t testing.TB) api.Problem {
	t.Helper()
	require.Equal(t, "application/problem+json", r.header.Get("Content-Type"), "%s", r.body)
	var p api.Problem
	r.json(t, &p)
	require.Equal(t, r.status, p.Status)
	return p
}

// do sends a request, checking it and its answer against the OpenAPI
// document, unless raw is set (for requests that break the contract on purpose).
func (h *harness) do(method, path string, body any, headers map[string]string, raw bool) response {
	h.t.Helper()
	var payload []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		payload = b
	case string:
		payload = []byte(b)
	default:
		var err error
		payload, err = json.Marshal(b)
		require.NoError(h.t, err)
	}
	req, err := http.NewRequest(method, h.url+path, bytes.NewReader(payload))
	require.NoError(h.t, err)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	var input *openapi3filter.RequestValidationInput
	if !raw {
		route, params, err := h.router.FindRoute(req)
		require.NoError(h.t, err, "%s %s is not in the OpenAPI document", method, path)
		input = &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		require.NoError(h.t, openapi3filter.ValidateRequest(context.Background(), input), "request %s %s", method, path)
		req.Body = io.NopCloser(bytes.NewReader(payload))
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	if input != nil {
		err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
			RequestValidationInput: input, Status: resp.StatusCode, Header: resp.Header,
			Body: io.NopCloser(bytes.NewReader(out)), Options: &openapi3filter.Options{IncludeResponseStatus: true},
		})
		require.NoError(h.t, err, "response %d of %s %s does not match the document: %s", resp.StatusCode, method, path, out)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: out}
}

func (h *harness) get(path string) response { return h.do(http.MethodGet, path, nil, nil, false) }

func (h *harness) replay() chaincode.Replay {
	return chaincode.Replay{Nonce: fmt.Sprint(uint64(time.Now().UnixNano()) + h.nonce.Add(1)), Deadline: chaincode.Uint(time.Now().Add(time.Hour).Unix())}
}

func (h *harness) sign(m chaincode.Message, key *ecdsa.PrivateKey) string {
	h.t.Helper()
	sig, err := chaincode.Sign(h.channel, m, key)
	require.NoError(h.t, err)
	return sig
}

// act posts a party's signed act.
func (h *harness) act(path string, m chaincode.Message, key *ecdsa.PrivateKey) response {
	h.t.Helper()
	msg, err := json.Marshal(m)
	require.NoError(h.t, err)
	return h.do(http.MethodPost, path, api.ActRequest{Message: msg, Signature: h.sign(m, key)}, nil, false)
}

func member() map[string]string { return map[string]string{"Authorization": "Bearer " + token} }

type party struct {
	id  string
	key *ecdsa.PrivateKey
}

func (p party) address() string { return crypto.PubkeyToAddress(p.key.PublicKey).Hex() }

// register registers a party through the API and gives it a key, with the
// member token and the key's proof of possession.
func (h *harness) register(reg chaincode.PartyRegistration) party {
	h.t.Helper()
	if reg.InHouse == nil {
		reg.InHouse = []string{}
	}
	r := h.do(http.MethodPost, "/v1/parties", reg, member(), false)
	require.Equal(h.t, http.StatusCreated, r.status, "%s", r.body)
	key, m, pop, err := chaincode.NewPartyKey(h.channel, reg.ID, h.replay())
	require.NoError(h.t, err)
	r = h.do(http.MethodPost, "/v1/parties/"+reg.ID+"/keys", api.ActRequest{Message: json.RawMessage(m), ProofOfPossession: pop}, member(), false)
	require.Equal(h.t, http.StatusCreated, r.status, "%s", r.body)
	return party{id: reg.ID, key: key}
}

// scenario: an Anbieter, a supplier, a customer, a published offering and a price model.
type scenario struct {
	*harness
	anbieter, supplier, customer party
	offering                     chaincode.Offering
	priceModel                   chaincode.PriceModel
}

func (h *harness) scenario() *scenario {
	h.t.Helper()
	s := &scenario{harness: h}
	s.anbieter = h.register(chaincode.PartyRegistration{ID: h.id("govdigital"), Kind: chaincode.KindAnbieter, Name: "govdigital eG"})
	s.supplier = h.register(chaincode.PartyRegistration{ID: h.id("land-mv"), Kind: chaincode.KindLand, Name: "Land Mecklenburg-Vorpommern", AGS: "13000000"})
	s.customer = h.register(chaincode.PartyRegistration{ID: h.id("stadt-koeln"), Kind: chaincode.KindKommune, Name: "Stadt Köln",
		ARS: "053150000000", AGS: "05315000", InHouse: []string{s.anbieter.id}})
	r := h.act("/v1/offerings", s.offeringMessage(1), s.supplier.key)
	require.Equal(h.t, http.StatusCreated, r.status, "%s", r.body)
	var o chaincode.Offering
	r.json(h.t, &o)
	r = h.act("/v1/offerings/"+o.Offering+"/acceptance", &chaincode.AcceptOfferingMessage{Offering: o.Offering, Version: 1, OfferingHash: o.Hash, Replay: h.replay()}, s.anbieter.key)
	require.Equal(h.t, http.StatusOK, r.status, "%s", r.body)
	r.json(h.t, &s.offering)
	r = h.act("/v1/offerings/"+o.Offering+"/price-models", s.priceModelMessage(1, chaincode.ZeroHash), s.supplier.key)
	require.Equal(h.t, http.StatusCreated, r.status, "%s", r.body)
	r.json(h.t, &s.priceModel)
	return s
}

func (s *scenario) offeringMessage(version uint64) *chaincode.SubmitOfferingMessage {
	return &chaincode.SubmitOfferingMessage{OfferingContent: chaincode.OfferingContent{
		Offering: s.id("digitaler-bauantrag"), Version: chaincode.Uint(version), Supplier: s.supplier.id, Anbieter: s.anbieter.id,
		Kind: chaincode.KindOZGService, Title: "Digitaler Bauantrag", Themenfeld: "Bauen & Wohnen",
		LeiKaKeys: []string{"99999999000002"}, OZGIDs: []string{}, DocumentHashes: []string{},
	}, Replay: s.replay()}
}

func (s *scenario) priceModelMessage(version uint64, predecessor string) *chaincode.PublishPriceModelMessage {
	return &chaincode.PublishPriceModelMessage{PriceModelContent: chaincode.PriceModelContent{
		Offering: s.id("digitaler-bauantrag"), Version: chaincode.Uint(version), PredecessorHash: predecessor, ValidFrom: "2027-01-01",
		DistributionKey: chaincode.KeyInhabitants, WeightInhabitants: 10000, AnnualFee: 1_200_000, ScopeOfUse: "SAMPLE FIGURES",
	}, Replay: s.replay()}
}

// agreementPath is /v1/agreements/{id}/suffix.
func agreementPath(id, suffix string) string {
	return "/v1/agreements/" + id + strings.TrimRight("/"+suffix, "/")
}
