// Command fabricload measures the registry on the native Fabric network:
// the time from nothing to the first committed registry transaction, then,
// for each concurrency, signed registry acts of the full order flow
// (interest → fees → two approvals → order) against the trivial KV.Put on
// the same network with the same settings, in one run: committed
// transactions per second and p50/p99 submit latency, and finally the peak
// resident memory of every node.
//
//	go build -o bin/ ./cmd/... && go run ./test/fabricload -dir /tmp/net -up -submitters 16,64
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/network"
	"github.com/efa-marktplatz/registry/schema"
)

func main() {
	var (
		dir        = flag.String("dir", "", "network directory (required)")
		port       = flag.Int("base-port", 17000, "network base port")
		up         = flag.Bool("up", false, "bring the network up first (from nothing if DIR is empty) and time it")
		server     = flag.String("chaincode-server", "bin/registry-chaincode", "registry-chaincode binary, for -up")
		submitters = flag.String("submitters", "16,64", "concurrencies to measure")
		duration   = flag.Duration("duration", 20*time.Second, "measuring time per contract and concurrency")
		await      = flag.Bool("await", true, "clients wait for every member peer to commit (as the API does)")
		kvOnly     = flag.Bool("kv-only", false, "measure only the trivial contract")
	)
	flag.Parse()
	if err := run(*dir, *port, *up, *server, *submitters, *duration, *await, *kvOnly); err != nil {
		slog.Error("fabricload failed", "err", err)
		os.Exit(1)
	}
}

type load struct {
	n       *network.Network
	channel string
	await   bool
	admins  map[string]*client.Client
	acts    *client.Client // Dataport's client identity, for the registry
	kv      *client.Client // and for the trivial contract
	run     string
	seq     atomic.Uint64 // record ids, unique across measurements
	phases  phaseTimes

	market  *scenario.Marketplace
	firstTx time.Time
}

func run(dir string, port int, up bool, server, submitters string, duration time.Duration, await, kvOnly bool) error {
	if dir == "" {
		return errors.New("-dir is required")
	}
	abs, err := filepath.Abs(server)
	if err != nil {
		return err
	}
	n, err := network.New(network.Config{Dir: dir, BasePort: port, ChaincodeServer: []string{abs}})
	if err != nil {
		return err
	}
	ctx := context.Background()
	l := &load{n: n, channel: network.ChannelID, await: await, admins: map[string]*client.Client{}, run: strconv.FormatInt(time.Now().Unix(), 36)}
	began := time.Now()
	if up {
		if err := n.Up(ctx); err != nil {
			return err
		}
		fmt.Printf("network up: %s\n", time.Since(began).Round(time.Millisecond))
	}
	if err := l.connect(); err != nil {
		return err
	}
	defer l.close()
	if err := l.setup(ctx); err != nil {
		return err
	}
	if up {
		fmt.Printf("nothing → first committed registry transaction: %s\n", l.firstTx.Sub(began).Round(time.Millisecond))
	}

	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "submitters\tregistry tx/s\tp50 ms\tp99 ms\tkv tx/s\tp50 ms\tp99 ms\tratio\t")
	for _, f := range strings.Split(submitters, ",") {
		s, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || s < 1 {
			return fmt.Errorf("bad -submitters %q", submitters)
		}
		var reg stats
		if !kvOnly {
			if reg, err = measure(ctx, s, duration, l.flow); err != nil {
				return fmt.Errorf("registry: %w", err)
			}
		}
		kv, err := measure(ctx, s, duration, l.put)
		if err != nil {
			return fmt.Errorf("kv: %w", err)
		}
		fmt.Fprintf(tw, "%d\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.2f\t\n", s, reg.rate, reg.p50, reg.p99, kv.rate, kv.p50, kv.p99, reg.rate/kv.rate)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Println("\nmedian time per submit phase, over all runs (ms):")
	l.phases.print()
	fmt.Println("\npeak resident memory (VmHWM) of each node:")
	for _, st := range n.Status() {
		fmt.Printf("  %-36s %s\n", st.Name, peakMemory(st.PID))
	}
	return nil
}

func peakMemory(pid int) string {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "not running"
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.Atoi(strings.Fields(line)[1])
			return fmt.Sprintf("%.0f MB", float64(kb)/1024)
		}
	}
	return "?"
}

func (l *load) dial(msp, user, cc string) (*client.Client, error) {
	cfg, err := client.NetworkGateway(l.n, msp, user, cc)
	if err != nil {
		return nil, err
	}
	if l.await {
		cfg.AwaitPeers = client.NetworkPeers(l.n)
	}
	cfg.ObservePhase = func(phase string, d time.Duration) { l.phases.observe(cc, phase, d) }
	b, err := client.DialFabric(cfg)
	if err != nil {
		return nil, err
	}
	return client.New(b), nil
}

func (l *load) connect() error {
	for _, m := range network.Members {
		c, err := l.dial(m.MSPID, "Admin", network.RegistryChaincode)
		if err != nil {
			return err
		}
		l.admins[m.MSPID] = c
	}
	var err error
	if l.acts, err = l.dial("DataportMSP", "User1", network.RegistryChaincode); err != nil {
		return err
	}
	l.kv, err = l.dial("DataportMSP", "User1", network.KVChaincode)
	return err
}

func (l *load) close() {
	for _, c := range append([]*client.Client{l.acts, l.kv}, mapsValues(l.admins)...) {
		if c != nil {
			_ = c.Close()
		}
	}
}

func mapsValues(m map[string]*client.Client) []*client.Client {
	var out []*client.Client
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// firstCommit is a registry that notes when the first transaction committed.
type firstCommit struct {
	scenario.Registry
	once sync.Once
	at   *time.Time
}

func (f *firstCommit) RegisterParty(ctx context.Context, member string, reg schema.PartyRegistration) (json.RawMessage, error) {
	out, err := f.Registry.RegisterParty(ctx, member, reg)
	if err == nil {
		f.once.Do(func() { *f.at = time.Now() })
	}
	return out, err
}

// setup registers the parties (vouched for by the three members), submits
// and accepts the offering and publishes its price model.
func (l *load) setup(ctx context.Context) error {
	r := &firstCommit{Registry: &scenario.Clients{ChannelID: l.channel, Relay: l.acts, Admins: l.admins}, at: &l.firstTx}
	var err error
	l.market, err = scenario.New(r, scenario.WithSuffix("-"+l.run)).Marketplace(ctx, scenario.SpreadVouching)
	return err
}

// flow runs one interest → order flow and reports the latency of each act.
func (l *load) flow(ctx context.Context, _ int, observe func(time.Duration)) error {
	return l.market.OrderFlow(ctx, fmt.Sprintf("load-%d", l.seq.Add(1)), scenario.DefaultFees, observe)
}

func (l *load) put(ctx context.Context, _ int, observe func(time.Duration)) error {
	t := time.Now()
	if _, err := l.kv.Submit(ctx, "Put", fmt.Sprintf("load-%s-%d", l.run, l.seq.Add(1)), "v"); err != nil {
		return err
	}
	observe(time.Since(t))
	return nil
}

type stats struct{ rate, p50, p99 float64 }

// measure runs op from s concurrent submitters for d and reports committed
// transactions per second and latency percentiles (milliseconds).
func measure(ctx context.Context, s int, d time.Duration, op func(context.Context, int, func(time.Duration)) error) (stats, error) {
	var (
		mu        sync.Mutex
		latencies []time.Duration
		next      atomic.Int64
		failed    atomic.Pointer[error]
		wg        sync.WaitGroup
	)
	observe := func(t time.Duration) {
		mu.Lock()
		latencies = append(latencies, t)
		mu.Unlock()
	}
	deadline := time.Now().Add(d)
	start := time.Now()
	for range s {
		wg.Go(func() {
			for time.Now().Before(deadline) && failed.Load() == nil {
				if err := op(ctx, int(next.Add(1)), observe); err != nil {
					failed.Store(&err)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if p := failed.Load(); p != nil {
		return stats{}, *p
	}
	slices.Sort(latencies)
	pct := func(q float64) float64 {
		if len(latencies) == 0 {
			return 0
		}
		return float64(latencies[int(q*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	return stats{rate: float64(len(latencies)) / elapsed.Seconds(), p50: pct(0.5), p99: pct(0.99)}, nil
}

// phaseTimes collects the submit phases per chaincode.
type phaseTimes struct {
	mu sync.Mutex
	d  map[string][]time.Duration // chaincode/phase → durations
}

func (p *phaseTimes) observe(cc, phase string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.d == nil {
		p.d = map[string][]time.Duration{}
	}
	p.d[cc+"/"+phase] = append(p.d[cc+"/"+phase], d)
}

func (p *phaseTimes) print() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, cc := range []string{network.RegistryChaincode, network.KVChaincode} {
		fmt.Printf("  %-8s", cc)
		for _, phase := range []string{"endorse", "submit", "commit", "await"} {
			ds := p.d[cc+"/"+phase]
			if len(ds) == 0 {
				continue
			}
			slices.Sort(ds)
			fmt.Printf("  %s %.1f", phase, float64(ds[len(ds)/2].Microseconds())/1000)
		}
		fmt.Println()
	}
}
