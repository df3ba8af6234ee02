// Command apibench measures the REST API from outside its process:
//
//	apibench bare  -listen ADDR -from URL -path P  # a bare gin handler serving, from memory, the JSON the API serves at P
//	apibench acts  -api URL -token T -submitters N -duration D   # signed acts over HTTP: acts/s, p50/p99
//	apibench seed  -data DIR -agreements N          # N agreements into an embedded registry, directly
//
// HTTP load itself comes from wrk, a separate process (see the README/notes).
package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/efa-marktplatz/registry/api"
	"github.com/efa-marktplatz/registry/chaincode"
	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/gin-gonic/gin"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: apibench bare|acts|seed [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "bare":
		err = bare(os.Args[2:])
	case "acts":
		err = acts(os.Args[2:])
	case "seed":
		err = seed(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		slog.Error("apibench failed", "err", err)
		os.Exit(1)
	}
}

// bare serves the bytes the API answers at path, from memory, with a bare
// gin handler: the reference for the API's read path.
func bare(args []string) error {
	fs := flag.NewFlagSet("bare", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:18081", "address")
	from := fs.String("from", "http://127.0.0.1:8080", "the API to copy the answer from")
	path := fs.String("path", "/v1/offerings/digitaler-bauantrag", "path")
	if err := fs.Parse(args); err != nil {
		return err
	}
	resp, err := http.Get(*from + *path)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET(*path, func(c *gin.Context) { c.Data(http.StatusOK, "application/json; charset=utf-8", body) })
	slog.Info("bare gin handler", "listen", *listen, "path", *path, "bytes", len(body))
	return http.ListenAndServe(*listen, r)
}

type party struct {
	id  string
	key *ecdsa.PrivateKey
}

type loader struct {
	api, token, channel, run string
	nonce                    atomic.Uint64
	seq                      atomic.Uint64
	anbieter, supplier       party
	customer                 party
	offering, pmHash         string
}

func (l *loader) post(path string, body any, headers map[string]string) (int, []byte, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequest(http.MethodPost, l.api+path, bytes.NewReader(raw))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

func (l *loader) replay() chaincode.Replay {
	return chaincode.Replay{Nonce: fmt.Sprint(uint64(time.Now().UnixNano()) + l.nonce.Add(1)), Deadline: chaincode.Uint(time.Now().Add(time.Hour).Unix())}
}

func (l *loader) act(path string, m chaincode.Message, key *ecdsa.PrivateKey, want int) ([]byte, error) {
	sig, err := chaincode.Sign(l.channel, m, key)
	if err != nil {
		return nil, err
	}
	msg, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	status, out, err := l.post(path, api.ActRequest{Message: msg, Signature: sig}, nil)
	if err != nil {
		return nil, err
	}
	if status != want {
		return nil, fmt.Errorf("%s %s: %d %s", m.PrimaryType(), path, status, out)
	}
	return out, nil
}

func (l *loader) register(reg chaincode.PartyRegistration) (party, error) {
	auth := map[string]string{"Authorization": "Bearer " + l.token}
	if status, out, err := l.post("/v1/parties", reg, auth); err != nil || status != http.StatusCreated {
		return party{}, fmt.Errorf("register %s: %d %s %v", reg.ID, status, out, err)
	}
	key, m, pop, err := chaincode.NewPartyKey(l.channel, reg.ID, l.replay())
	if err != nil {
		return party{}, err
	}
	if status, out, err := l.post("/v1/parties/"+reg.ID+"/keys", api.ActRequest{Message: json.RawMessage(m), ProofOfPossession: pop}, auth); err != nil || status != http.StatusCreated {
		return party{}, fmt.Errorf("key of %s: %d %s %v", reg.ID, status, out, err)
	}
	return party{id: reg.ID, key: key}, nil
}

func (l *loader) setup() error {
	id := func(s string) string { return s + "-" + l.run }
	var err error
	if l.anbieter, err = l.register(chaincode.PartyRegistration{ID: id("govdigital"), Kind: chaincode.KindAnbieter, Name: "govdigital eG", InHouse: []string{}}); err != nil {
		return err
	}
	if l.supplier, err = l.register(chaincode.PartyRegistration{ID: id("land-mv"), Kind: chaincode.KindLand, Name: "Land MV", AGS: "13000000", InHouse: []string{}}); err != nil {
		return err
	}
	if l.customer, err = l.register(chaincode.PartyRegistration{ID: id("stadt-koeln"), Kind: chaincode.KindKommune, Name: "Stadt Köln", AGS: "05315000", InHouse: []string{l.anbieter.id}}); err != nil {
		return err
	}
	l.offering = id("bauantrag")
	out, err := l.act("/v1/offerings", &chaincode.SubmitOfferingMessage{OfferingContent: chaincode.OfferingContent{
		Offering: l.offering, Version: 1, Supplier: l.supplier.id, Anbieter: l.anbieter.id, Kind: chaincode.KindOZGService,
		Title: "Digitaler Bauantrag", Themenfeld: "Bauen & Wohnen", LeiKaKeys: []string{}, OZGIDs: []string{}, DocumentHashes: []string{},
	}, Replay: l.replay()}, l.supplier.key, http.StatusCreated)
	if err != nil {
		return err
	}
	var o chaincode.Offering
	if err := json.Unmarshal(out, &o); err != nil {
		return err
	}
	if _, err := l.act("/v1/offerings/"+l.offering+"/acceptance", &chaincode.AcceptOfferingMessage{Offering: l.offering, Version: 1, OfferingHash: o.Hash, Replay: l.replay()}, l.anbieter.key, http.StatusOK); err != nil {
		return err
	}
	out, err = l.act("/v1/offerings/"+l.offering+"/price-models", &chaincode.PublishPriceModelMessage{PriceModelContent: chaincode.PriceModelContent{
		Offering: l.offering, Version: 1, PredecessorHash: chaincode.ZeroHash, ValidFrom: "2027-01-01", DistributionKey: chaincode.KeyCases,
		WeightCases: 10000, AnnualFee: 1, ScopeOfUse: "SAMPLE FIGURES"}, Replay: l.replay()}, l.supplier.key, http.StatusCreated)
	if err != nil {
		return err
	}
	var pm chaincode.PriceModel
	if err := json.Unmarshal(out, &pm); err != nil {
		return err
	}
	l.pmHash = pm.Hash
	return nil
}

// flow is one interest → order flow: five signed acts over HTTP.
func (l *loader) flow(observe func(time.Duration)) error {
	id := fmt.Sprintf("http-%s-%d", l.run, l.seq.Add(1))
	timed := func(path string, m chaincode.Message, key *ecdsa.PrivateKey, want int) ([]byte, error) {
		t := time.Now()
		out, err := l.act(path, m, key, want)
		if err == nil {
			observe(time.Since(t))
		}
		return out, err
	}
	if _, err := timed("/v1/agreements", &chaincode.ExpressInterestMessage{Agreement: id, Offering: l.offering, Customer: l.customer.id, Replay: l.replay()}, l.customer.key, 201); err != nil {
		return err
	}
	out, err := timed("/v1/agreements/"+id+"/fees", &chaincode.EnterFeesMessage{Agreement: id, FeeVersion: 1, PriceModelHash: l.pmHash, AnnualFee: 1, Replay: l.replay()}, l.supplier.key, 201)
	if err != nil {
		return err
	}
	var a chaincode.Agreement
	if err := json.Unmarshal(out, &a); err != nil {
		return err
	}
	for _, p := range []party{l.customer, l.anbieter} {
		if _, err := timed("/v1/agreements/"+id+"/approvals", &chaincode.ApproveFeesMessage{Agreement: id, Party: p.id, FeeVersion: 1, TermsHash: a.TermsHash, Replay: l.replay()}, p.key, 200); err != nil {
			return err
		}
	}
	_, err = timed("/v1/agreements/"+id+"/order", &chaincode.PlaceOrderMessage{Agreement: id, TermsHash: a.TermsHash, Replay: l.replay()}, l.customer.key, 200)
	return err
}

func acts(args []string) error {
	fs := flag.NewFlagSet("acts", flag.ContinueOnError)
	base := fs.String("api", "http://127.0.0.1:8080", "registry API")
	token := fs.String("token", "", "member token")
	channel := fs.String("channel", "registry", "channel")
	submitters := fs.Int("submitters", 16, "concurrent portals")
	duration := fs.Duration("duration", 20*time.Second, "measuring time")
	if err := fs.Parse(args); err != nil {
		return err
	}
	http.DefaultTransport.(*http.Transport).MaxIdleConnsPerHost = *submitters * 2
	l := &loader{api: *base, token: *token, channel: *channel, run: fmt.Sprint(time.Now().Unix())}
	if err := l.setup(); err != nil {
		return err
	}
	var (
		mu        sync.Mutex
		latencies []time.Duration
		failed    atomic.Pointer[error]
		wg        sync.WaitGroup
	)
	deadline := time.Now().Add(*duration)
	start := time.Now()
	for range *submitters {
		wg.Go(func() {
			for time.Now().Before(deadline) && failed.Load() == nil {
				if err := l.flow(func(d time.Duration) { mu.Lock(); latencies = append(latencies, d); mu.Unlock() }); err != nil {
					failed.Store(&err)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if p := failed.Load(); p != nil {
		return *p
	}
	slices.Sort(latencies)
	if len(latencies) == 0 {
		return errors.New("no act committed")
	}
	pct := func(q float64) float64 {
		return float64(latencies[int(q*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	fmt.Printf("signed acts over HTTP: %d submitters, %d acts in %s: %.0f acts/s, p50 %.1f ms, p99 %.1f ms\n",
		*submitters, len(latencies), elapsed.Round(time.Millisecond), float64(len(latencies))/elapsed.Seconds(), pct(0.5), pct(0.99))
	return nil
}

// seed writes N agreements (each through interest and fees: two signed acts)
// straight into an embedded registry, as fast as the ledger takes them.
func seed(args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	data := fs.String("data", "", "data directory of registry-api (the ledger lives in DATA/ledger)")
	n := fs.Int("agreements", 100000, "agreements to create")
	workers := fs.Int("workers", 64, "concurrent submitters")
	member := fs.String("member", "DataportMSP", "member org")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" {
		return errors.New("-data is required")
	}
	cc, err := chaincode.New()
	if err != nil {
		return err
	}
	l, err := ledger.Open(filepath.Join(*data, "ledger"), ledger.Options{MSPID: *member, Chaincodes: map[string]shim.Chaincode{chaincode.Name: cc}})
	if err != nil {
		return err
	}
	defer l.Close()
	as := func(name string) (*client.Client, error) {
		id, err := l.Identity(*member, name)
		if err != nil {
			return nil, err
		}
		return client.New(client.NewEmbedded(l, id, chaincode.Name)), nil
	}
	relay, err := as("client")
	if err != nil {
		return err
	}
	admin, err := as("admin")
	if err != nil {
		return err
	}
	// Serve the API in-process on a private port, reuse the HTTP loader for
	// the set-up, and write the agreements through the client directly.
	a, err := api.New(api.Config{Client: relay, Admin: admin, Channel: l.ChannelID(), AdminToken: "seed", ActsPerSecond: 1e6, ActBurst: 1 << 20})
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: a, ReadHeaderTimeout: 5 * time.Second}
	ln, err := listen()
	if err != nil {
		return err
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	ld := &loader{api: "http://" + ln.Addr().String(), token: "seed", channel: l.ChannelID(), run: fmt.Sprint(time.Now().Unix())}
	if err := ld.setup(); err != nil {
		return err
	}
	ctx := context.Background()
	var next atomic.Int64
	var failed atomic.Pointer[error]
	var wg sync.WaitGroup
	start := time.Now()
	for range *workers {
		wg.Go(func() {
			for failed.Load() == nil {
				i := next.Add(1)
				if i > int64(*n) {
					return
				}
				id := fmt.Sprintf("seed-%s-%d", ld.run, i)
				m := &chaincode.ExpressInterestMessage{Agreement: id, Offering: ld.offering, Customer: ld.customer.id, Replay: ld.replay()}
				if err := submit(ctx, relay, l.ChannelID(), m, ld.customer.key); err != nil {
					failed.Store(&err)
					return
				}
				f := &chaincode.EnterFeesMessage{Agreement: id, FeeVersion: 1, PriceModelHash: ld.pmHash, AnnualFee: chaincode.Uint(i), Replay: ld.replay()}
				if err := submit(ctx, relay, l.ChannelID(), f, ld.supplier.key); err != nil {
					failed.Store(&err)
					return
				}
				if i%10000 == 0 {
					slog.Info("seeded", "agreements", i, "elapsed", time.Since(start).Round(time.Second).String())
				}
			}
		})
	}
	wg.Wait()
	if p := failed.Load(); p != nil {
		return *p
	}
	fmt.Printf("seeded %d agreements (%d signed acts) in %s\n", *n, 2**n, time.Since(start).Round(time.Second))
	return nil
}

func submit(ctx context.Context, c *client.Client, channel string, m chaincode.Message, key *ecdsa.PrivateKey) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	sig, err := chaincode.Sign(channel, m, key)
	if err != nil {
		return err
	}
	_, _, err = c.Act(ctx, m.PrimaryType(), string(raw), sig)
	return err
}

func listen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
