package api_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/api"
	"github.com/efa-marktplatz/registry/chaincode"
	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/internal/embedded"
	"github.com/efa-marktplatz/registry/internal/fabrictest"
	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/network"
	"github.com/efa-marktplatz/registry/proof"
	"github.com/efa-marktplatz/registry/readmodel"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/efa-marktplatz/registry/webhook"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"
)

const token = "test-member-token"

func init() {
	openapi3filter.RegisterBodyDecoder("application/problem+json", openapi3filter.JSONBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/plain", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/xml", openapi3filter.PlainBodyDecoder)
}

// harness is the API served over HTTP on 127.0.0.1, with a client that
// checks every request and response against the OpenAPI document.
type harness struct {
	t       testing.TB
	url     string
	channel string
	b       *scenario.Builder
	api     *api.API
	ledger  *ledger.Ledger // embedded only
	trust   *proof.Trust
	router  routers.Router
	checked *http.Client // checks every request and answer against the document
	// readModel is the API's read model, projected from the ledger while
	// the test runs.
	readModel *readmodel.Store
}

// Webhook delivery in the tests: quick retries, pausing after five failures.
var webhookOptions = webhook.Options{Timeout: 300 * time.Millisecond, Backoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, MaxFailures: 5}

// startWebhooks runs webhook deliveries from the read model until the test
// ends.
func startWebhooks(t testing.TB, rm *readmodel.Store) *webhook.Service {
	t.Helper()
	opts := webhookOptions
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := webhook.Open(context.Background(), filepath.Join(t.TempDir(), "webhooks.sqlite"), rm, opts)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
		require.NoError(t, svc.Close())
	})
	return svc
}

// startReadModel projects the ledger into a new read model until the test
// ends, and returns once it has caught up.
func startReadModel(t testing.TB, cl *client.Client) *readmodel.Store {
	t.Helper()
	ctx := context.Background()
	rm, stop, err := readmodel.Start(ctx, filepath.Join(t.TempDir(), "read-model.sqlite"), cl, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, rm.Verify(ctx), "the read model is consistent at the end of the test")
		require.NoError(t, stop(), "the projection ran until the test ended")
	})
	return rm
}

// onEachBackend runs an end-to-end test over real HTTP on the embedded
// ledger and, with -fabric DIR (internal/fabrictest), on the native Fabric
// network, with the same expectations.
func onEachBackend(t *testing.T, test func(t *testing.T, h *harness)) {
	t.Run("embedded", func(t *testing.T) { test(t, newEmbedded(t, api.Config{})) })
	if fabrictest.Enabled() {
		t.Run("fabric", func(t *testing.T) { test(t, newFabric(t, api.Config{})) })
	}
}

// newEmbedded serves the API over an embedded ledger; cfg's zero fields get
// the harness's clients and token.
func newEmbedded(t testing.TB, cfg api.Config) *harness {
	t.Helper()
	dir := t.TempDir()
	l, err := embedded.Open(dir, ledger.Options{MSPID: scenario.Dataport, NoSync: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	as := func(name string) *client.Client {
		c, err := l.Client(scenario.Dataport, name)
		require.NoError(t, err)
		return c
	}
	cfg.Client, cfg.Admin, cfg.Channel = as("client"), as("admin"), l.ChannelID()
	if cfg.Trust == nil {
		cfg.Trust, err = proof.LoadRoots(filepath.Join(dir, "msp"))
		require.NoError(t, err)
	}
	h := serve(t, cfg)
	h.ledger = l.Ledger
	return h
}

// newFabric serves the API over the native Fabric network (-fabric DIR)
// as Dataport's user and admin; cfg's zero fields get the harness's token.
func newFabric(t testing.TB, cfg api.Config) *harness {
	t.Helper()
	n, err := network.New(fabrictest.NetworkConfig())
	require.NoError(t, err)
	cfg.Client = fabrictest.Client(t, n, scenario.Dataport, "User1", chaincode.Name)
	cfg.Admin = fabrictest.Client(t, n, scenario.Dataport, "Admin", chaincode.Name)
	cfg.Channel, cfg.Trust = network.ChannelID, networkTrust(t, n)
	return serve(t, cfg)
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
	if cfg.ReadModel == nil {
		cfg.ReadModel = startReadModel(t, cfg.Client)
	}
	if cfg.Webhooks == nil {
		cfg.Webhooks = startWebhooks(t, cfg.ReadModel)
	}
	a, err := api.New(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(a) // on 127.0.0.1
	srv.Config.RegisterOnShutdown(a.Shutdown)
	t.Cleanup(srv.Close)
	doc, err := a.OpenAPI()
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()))
	doc.Servers = openapi3.Servers{{URL: srv.URL}}
	router, err := gorillamux.NewRouter(doc)
	require.NoError(t, err)
	h := &harness{t: t, url: srv.URL, channel: cfg.Channel, api: a, router: router, trust: cfg.Trust, readModel: cfg.ReadModel}
	h.checked = &http.Client{Transport: documented{h}}
	// The scenarios reach the registry through the documented surface, as a
	// portal does; the API's member (Dataport) vouches for every party.
	h.b = scenario.New(&scenario.HTTP{URL: srv.URL, Token: token, ChannelID: cfg.Channel, Client: h.checked}, scenario.WithRandomSuffix())
	return h
}

func (h *harness) id(base string) string { return h.b.ID(base) }

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
	c := http.DefaultClient
	if !raw {
		c = h.checked
	}
	resp, err := c.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: out}
}

// documented is a transport that checks every request and its answer
// against the API's OpenAPI document.
type documented struct{ h *harness }

func (d documented) RoundTrip(req *http.Request) (*http.Response, error) {
	t := d.h.t
	t.Helper()
	var payload []byte
	if req.Body != nil {
		var err error
		payload, err = io.ReadAll(req.Body)
		require.NoError(t, err)
		req.Body = io.NopCloser(bytes.NewReader(payload))
	}
	route, params, err := d.h.router.FindRoute(req)
	require.NoError(t, err, "%s %s is not in the OpenAPI document", req.Method, req.URL.Path)
	input := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	require.NoError(t, openapi3filter.ValidateRequest(context.Background(), input), "request %s %s", req.Method, req.URL.Path)
	req.Body = io.NopCloser(bytes.NewReader(payload))
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	resp.Body = io.NopCloser(bytes.NewReader(out))
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(out)), Options: &openapi3filter.Options{IncludeResponseStatus: true},
	})
	require.NoError(t, err, "response %d of %s %s does not match the document: %s", resp.StatusCode, req.Method, req.URL.Path, out)
	return resp, nil
}

func (h *harness) get(path string) response { return h.do(http.MethodGet, path, nil, nil, false) }

func (h *harness) replay() schema.Replay { return h.b.Replay() }

// act posts a party's signed act.
func (h *harness) act(path string, m schema.Message, key *ecdsa.PrivateKey) response {
	h.t.Helper()
	act, err := schema.SignAct(h.channel, m, key)
	require.NoError(h.t, err)
	body, err := act.Request()
	require.NoError(h.t, err)
	return h.do(http.MethodPost, path, body, nil, false)
}

func member() map[string]string { return map[string]string{"Authorization": "Bearer " + token} }

// register registers a party through the API and gives it a key, with the
// member token and the key's proof of possession.
func (h *harness) register(reg schema.PartyRegistration) *scenario.Party {
	h.t.Helper()
	p, err := h.b.Party(context.Background(), scenario.Dataport, reg)
	require.NoError(h.t, err)
	return p
}

// market is the standard marketplace, made through the API.
type market struct {
	*harness
	*scenario.Marketplace
}

func (h *harness) scenario() *market {
	h.t.Helper()
	m, err := h.b.Marketplace(context.Background(), scenario.Vouching{Anbieter: scenario.Dataport, Supplier: scenario.Dataport, Customer: scenario.Dataport})
	require.NoError(h.t, err)
	return &market{harness: h, Marketplace: m}
}

// agreementPath is /v1/agreements/{id}/suffix.
func agreementPath(id, suffix string) string {
	return "/v1/agreements/" + id + strings.TrimRight("/"+suffix, "/")
}

// TestMain runs the tests with gin in release mode, as registry-api runs it.
func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	os.Exit(m.Run())
}
