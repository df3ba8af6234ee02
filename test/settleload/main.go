// Command settleload measures the money side of the registry as an
// offering's agreements grow: for each count N, it concludes N agreements
// of a fresh offering under a programmed price model (split by cases),
// reports each agreement's cases, then times computing the allocation (a
// query), publishing it (one transaction that reads every agreement and
// figure and writes one entry per agreement) and the fee adjustment (the
// supplier's acts, CHUNK agreements each). On the embedded ledger or on a
// native Fabric network:
//
//	go run ./test/settleload -backend embedded -dir /tmp/settle -agreements 10,1000,10000
//	go run ./test/settleload -backend fabric -dir /tmp/net -base-port 27000 -agreements 10,1000
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/internal/embedded"
	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/network"
	"github.com/efa-marktplatz/registry/schema"
)

func main() {
	var (
		backend    = flag.String("backend", "embedded", "embedded or fabric")
		dir        = flag.String("dir", "", "embedded: ledger directory; fabric: network directory (required)")
		port       = flag.Int("base-port", 17000, "fabric: the network's base port")
		counts     = flag.String("agreements", "10,1000,10000", "agreement counts to measure")
		submitters = flag.Int("submitters", 32, "concurrent portals concluding the agreements")
		chunk      = flag.Int("chunk", schema.MaxAdjustChunk, "agreements per fee adjustment act")
	)
	flag.Parse()
	if err := run(*backend, *dir, *port, *counts, *submitters, *chunk); err != nil {
		slog.Error("settleload failed", "err", err)
		os.Exit(1)
	}
}

type target struct {
	reg    *scenario.Clients
	reader *client.Client
	close  func() error
}

func run(backend, dir string, port int, counts string, submitters, chunk int) error {
	if dir == "" {
		return errors.New("-dir is required")
	}
	var tg *target
	var err error
	switch backend {
	case "embedded":
		tg, err = openEmbedded(dir)
	case "fabric":
		tg, err = openFabric(dir, port)
	default:
		err = fmt.Errorf("unknown backend %q", backend)
	}
	if err != nil {
		return err
	}
	defer func() { _ = tg.close() }()
	ctx := context.Background()
	fmt.Printf("%s: agreements  setup s  compute ms  publish ms  adjust ms (acts)  allocation KB\n", backend)
	for _, f := range strings.Split(counts, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("bad -agreements %q", counts)
		}
		if err := measure(ctx, tg, backend, n, submitters, chunk); err != nil {
			return fmt.Errorf("%d agreements: %w", n, err)
		}
	}
	return nil
}

func openEmbedded(dir string) (*target, error) {
	l, err := embedded.Open(dir, ledger.Options{MSPID: scenario.Dataport})
	if err != nil {
		return nil, err
	}
	reg, err := l.Scenario(scenario.Dataport, scenario.Members...)
	if err != nil {
		_ = l.Close()
		return nil, err
	}
	return &target{reg: reg, reader: reg.Relay, close: l.Close}, nil
}

func openFabric(dir string, port int) (*target, error) {
	n, err := network.New(network.Config{Dir: dir, BasePort: port})
	if err != nil {
		return nil, err
	}
	var clients []*client.Client
	dial := func(msp, user string) (*client.Client, error) {
		cfg, err := client.NetworkGateway(n, msp, user, network.RegistryChaincode)
		if err != nil {
			return nil, err
		}
		cfg.AwaitPeers = client.NetworkPeers(n)
		b, err := client.DialFabric(cfg)
		if err != nil {
			return nil, err
		}
		c := client.New(b)
		clients = append(clients, c)
		return c, nil
	}
	closeAll := func() error {
		var errs []error
		for _, c := range clients {
			errs = append(errs, c.Close())
		}
		return errors.Join(errs...)
	}
	reg := &scenario.Clients{ChannelID: network.ChannelID, Admins: map[string]*client.Client{}}
	for _, m := range network.Members {
		if reg.Admins[m.MSPID], err = dial(m.MSPID, "Admin"); err != nil {
			_ = closeAll()
			return nil, err
		}
	}
	if reg.Relay, err = dial(scenario.Dataport, "User1"); err != nil {
		_ = closeAll()
		return nil, err
	}
	return &target{reg: reg, reader: reg.Relay, close: closeAll}, nil
}

func measure(ctx context.Context, tg *target, backend string, n, submitters, chunk int) error {
	year := schema.Uint(time.Now().UTC().Year())
	b := scenario.New(tg.reg, scenario.WithSuffix(fmt.Sprintf("-%s-%d", strconv.FormatInt(time.Now().UnixNano(), 36), n)))
	began := time.Now()
	m, err := b.Marketplace(ctx, scenario.SpreadVouching)
	if err != nil {
		return err
	}
	pmMsg := b.ProgrammedPriceModel(2, m.PriceModel.Hash, schema.KeyCases, true, schema.VATNotSubject)
	pmMsg.ValidFrom = fmt.Sprintf("%d-01-01", year)
	if err := b.Act(ctx, m.Supplier, pmMsg, nil); err != nil {
		return err
	}
	var next atomic.Int64
	var failed atomic.Pointer[error]
	var wg sync.WaitGroup
	for range submitters {
		wg.Go(func() {
			for failed.Load() == nil {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				d := m.Deal(fmt.Sprintf("s%d", i), "")
				steps := []func() error{
					func() error { return d.Interest(ctx) },
					func() error { return d.EnterFees(ctx, scenario.DefaultFees) },
					func() error { return d.Approve(ctx, d.Customer) },
					func() error { return d.Approve(ctx, d.Anbieter) },
					func() error { return d.Order(ctx) },
					func() error { _, err := d.ReportUsage(ctx, year, schema.Uint(100+i%997), 0); return err },
				}
				for _, step := range steps {
					if err := retried(step); err != nil {
						failed.Store(&err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if p := failed.Load(); p != nil {
		return *p
	}
	setup := time.Since(began)

	t0 := time.Now()
	computed, err := tg.reader.ComputeAllocation(ctx, m.Offering.Offering, year, 2)
	if err != nil {
		return err
	}
	compute := time.Since(t0)
	if len(computed.Shares) != n {
		return fmt.Errorf("the allocation has %d shares, want %d", len(computed.Shares), n)
	}
	t0 = time.Now()
	published, err := b.PublishAllocation(ctx, m.Supplier, computed, 1)
	if err != nil {
		return err
	}
	publish := time.Since(t0)
	full, err := tg.reader.Allocation(ctx, m.Offering.Offering, year, published.Version)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(full)
	if err != nil {
		return err
	}
	t0 = time.Now()
	adjusted, err := b.AdjustFees(ctx, m.Supplier, full, chunk)
	if err != nil {
		return err
	}
	adjust := time.Since(t0)
	if len(adjusted) != n {
		return fmt.Errorf("%d fee versions adjusted, want %d", len(adjusted), n)
	}
	acts := (n + chunk - 1) / chunk
	fmt.Printf("%s: %10d  %7.1f  %10.0f  %10.0f  %9.0f (%d)  %13.0f\n", backend, n, setup.Seconds(),
		ms(compute), ms(publish), ms(adjust), acts, float64(len(raw))/1024)
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// retried runs a step again, up to five times with a growing pause, while
// the ledger is unavailable: on a loaded 2-core machine a Fabric peer's
// gossip membership may lapse for a moment, and discovery then finds no
// peers to endorse (the API answers that with 503 and Retry-After).
func retried(step func() error) error {
	var err error
	for attempt := range 5 {
		if err = step(); err == nil || !errors.Is(err, client.ErrUnavailable) {
			return err
		}
		time.Sleep(time.Duration(1<<attempt) * time.Second)
	}
	return err
}
