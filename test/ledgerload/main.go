// Command ledgerload commits transactions of the trivial Put contract to an
// embedded ledger from concurrent submitters and reports throughput and
// memory as it goes: committed transactions, tx/s, the process's resident
// memory (anonymous and file-backed separately, from /proc/self/status), the
// Go heap, and the size of the store.
//
//	go run ./test/ledgerload -txs 1000000 -submitters 64 -dir /tmp/ledger [-verify]
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/ledger/ledgertest"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

func main() {
	var (
		dir        = flag.String("dir", "", "ledger data directory (required; reused if it exists)")
		txs        = flag.Int("txs", 1_000_000, "transactions to commit")
		submitters = flag.Int("submitters", 64, "concurrent submitters")
		every      = flag.Int("every", 100_000, "report after this many transactions")
		valueSize  = flag.Int("value", 100, "bytes per written value")
		verify     = flag.Bool("verify", false, "verify the whole chain and state afterwards, and time it")
	)
	flag.Parse()
	if err := run(*dir, *txs, *submitters, *every, *valueSize, *verify); err != nil {
		slog.Error("ledgerload failed", "err", err)
		os.Exit(1)
	}
}

func run(dir string, txs, submitters, every, valueSize int, verify bool) error {
	if dir == "" {
		return errors.New("-dir is required")
	}
	cc, err := ledgertest.New()
	if err != nil {
		return err
	}
	l, err := ledger.Open(dir, ledger.Options{Chaincodes: map[string]shim.Chaincode{ledgertest.Name: cc}})
	if err != nil {
		return err
	}
	defer l.Close()
	id, err := l.DefaultIdentity()
	if err != nil {
		return err
	}
	value := strings.Repeat("v", valueSize)
	base := l.Height()
	fmt.Printf("%-10s %8s %9s %9s %9s %9s %9s %10s\n", "committed", "tx/s", "rss_MB", "anon_MB", "file_MB", "heap_MB", "blocks", "store_MB")
	report := func(n int, since time.Time, count int) {
		st, err := procStatus()
		if err != nil {
			slog.Error("read /proc/self/status", "err", err)
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		size := int64(0)
		if fi, err := os.Stat(filepath.Join(dir, "ledger.db")); err == nil {
			size = fi.Size()
		}
		fmt.Printf("%-10d %8.0f %9.1f %9.1f %9.1f %9.1f %9d %10.1f\n", n, float64(count)/time.Since(since).Seconds(),
			st["VmRSS"]/1024, st["RssAnon"]/1024, st["RssFile"]/1024, float64(ms.HeapAlloc)/(1<<20), l.Height()-base, float64(size)/(1<<20))
	}

	var next, done atomic.Int64
	var failed atomic.Pointer[error]
	var wg sync.WaitGroup
	start, lap, lapCount := time.Now(), time.Now(), 0
	var mu sync.Mutex
	ctx := context.Background()
	run := fmt.Sprintf("%d", time.Now().UnixNano())
	for range submitters {
		wg.Go(func() {
			for {
				i := int(next.Add(1))
				if i > txs || failed.Load() != nil {
					return
				}
				key := fmt.Sprintf("k-%s-%09d", run, i)
				if _, err := l.Submit(ctx, id, ledger.Proposal{Chaincode: ledgertest.Name, Function: "Put", Args: [][]byte{[]byte(key), []byte(value)}}); err != nil {
					failed.Store(&err)
					return
				}
				if n := int(done.Add(1)); n%every == 0 {
					mu.Lock()
					report(n, lap, n-lapCount)
					lap, lapCount = time.Now(), n
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if p := failed.Load(); p != nil {
		return *p
	}
	fmt.Printf("done: %d transactions in %s: %.0f tx/s overall\n", txs, time.Since(start).Round(time.Millisecond), float64(txs)/time.Since(start).Seconds())
	runtime.GC()
	report(txs, start, txs)
	if verify {
		began := time.Now()
		if err := l.Verify(ctx); err != nil {
			return err
		}
		fmt.Printf("verify: %d blocks verified in %s\n", l.Height(), time.Since(began).Round(time.Millisecond))
	}
	return nil
}

// procStatus returns the kB fields of /proc/self/status.
func procStatus() (map[string]float64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var kb float64
		if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%f kB", &kb); err == nil {
			out[name] = kb
		}
	}
	return out, sc.Err()
}
