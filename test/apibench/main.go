// Command apibench measures the REST API from outside its process:
//
//	apibench bare  -listen ADDR -from URL -path P  # a bare gin handler serving, from memory, the JSON the API serves at P
//	apibench acts  -api URL -token T -submitters N -duration D   # signed acts over HTTP: acts/s, p50/p99
//	apibench seed  -data DIR -agreements N          # N agreements into an embedded registry, directly
//	apibench measure -data DIR -flows N             # per-act cost on that registry: acts/s, CPU and bytes per act
//
// HTTP load itself comes from wrk, a separate process (see the README/notes).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/efa-marktplatz/registry/internal/embedded"
	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/gin-gonic/gin"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: apibench bare|acts|seed|measure [flags]")
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
	case "measure":
		err = measure(os.Args[2:])
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

// loader drives agreements through the standard marketplace.
type loader struct {
	m   *scenario.Marketplace
	run string
	seq atomic.Uint64
}

// newLoader sets up the marketplace (parties, offering, price model) for a
// run, through a registry.
func newLoader(ctx context.Context, r scenario.Registry) (*loader, error) {
	run := fmt.Sprint(time.Now().UnixNano())
	m, err := scenario.New(r, scenario.WithSuffix("-"+run)).Marketplace(ctx, scenario.Vouching{
		Anbieter: scenario.Dataport, Supplier: scenario.Dataport, Customer: scenario.Dataport})
	if err != nil {
		return nil, err
	}
	return &loader{m: m, run: run}, nil
}

// flow is one interest → order flow: five signed acts, each timed.
func (l *loader) flow(ctx context.Context, observe func(time.Duration)) error {
	return l.m.OrderFlow(ctx, fmt.Sprintf("http-%d", l.seq.Add(1)), schema.Fees{AnnualFee: 1}, observe)
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
	ctx := context.Background()
	l, err := newLoader(ctx, &scenario.HTTP{URL: *base, Token: *token, ChannelID: *channel})
	if err != nil {
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
				if err := l.flow(ctx, func(d time.Duration) { mu.Lock(); latencies = append(latencies, d); mu.Unlock() }); err != nil {
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
	l, err := embedded.Open(filepath.Join(*data, "ledger"), ledger.Options{MSPID: *member})
	if err != nil {
		return err
	}
	defer l.Close()
	reg, err := l.Scenario(*member, *member)
	if err != nil {
		return err
	}
	ctx := context.Background()
	ld, err := newLoader(ctx, reg)
	if err != nil {
		return err
	}
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
				d := ld.m.Deal(fmt.Sprintf("seed-%d", i), "")
				err := d.Interest(ctx)
				if err == nil {
					err = d.EnterFees(ctx, schema.Fees{AnnualFee: schema.Uint(i)})
				}
				if err != nil {
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

// measure runs order flows (five signed acts each) from concurrent portals
// straight into an embedded registry, such as one seed filled, and reports
// what an act costs there: acts/s, the process's CPU time per act (signing
// included, as the portals run in the process) and the store bytes each act
// adds, beside the store's size before.
func measure(args []string) error {
	fs := flag.NewFlagSet("measure", flag.ContinueOnError)
	data := fs.String("data", "", "data directory of registry-api (the ledger lives in DATA/ledger)")
	flows := fs.Int("flows", 2000, "order flows to run (five signed acts each)")
	submitters := fs.Int("submitters", 16, "concurrent portals")
	member := fs.String("member", "DataportMSP", "member org")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the measured flows to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" {
		return errors.New("-data is required")
	}
	l, err := embedded.Open(filepath.Join(*data, "ledger"), ledger.Options{MSPID: *member})
	if err != nil {
		return err
	}
	defer l.Close()
	reg, err := l.Scenario(*member, *member)
	if err != nil {
		return err
	}
	ctx := context.Background()
	ld, err := newLoader(ctx, reg)
	if err != nil {
		return err
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	storedBefore, err := l.StoredBytes()
	if err != nil {
		return err
	}
	var next atomic.Int64
	var failed atomic.Pointer[error]
	var wg sync.WaitGroup
	cpuBefore, err := cpuTime()
	if err != nil {
		return err
	}
	start := time.Now()
	for range *submitters {
		wg.Go(func() {
			for failed.Load() == nil && next.Add(1) <= int64(*flows) {
				if err := ld.flow(ctx, func(time.Duration) {}); err != nil {
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
	cpuAfter, err := cpuTime()
	if err != nil {
		return err
	}
	storedAfter, err := l.StoredBytes()
	if err != nil {
		return err
	}
	n := float64(5 * *flows)
	fmt.Printf("ledger of %.0f MB in use; %d signed acts from %d portals: %.0f acts/s, %.0f cpu-µs/act, %.0f store bytes/act\n",
		float64(storedBefore)/(1<<20), 5**flows, *submitters, n/elapsed.Seconds(), float64((cpuAfter-cpuBefore).Microseconds())/n,
		float64(storedAfter-storedBefore)/n)
	return nil
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}
