package chaincode_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/ledger/ledgertest"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

const benchSubmitters = 16

// benchScenario is the standard scenario on a ledger with fsync on, as in
// production, with the trivial KV contract installed beside the registry as
// the reference.
func benchScenario(b *testing.B) (*env, *scenario.Marketplace) {
	b.Helper()
	kv, err := ledgertest.New()
	if err != nil {
		b.Fatal(err)
	}
	e := newEmbeddedEnv(b, map[string]shim.Chaincode{ledgertest.Name: kv}, true)
	return e, e.marketplace()
}

func runParallel(b *testing.B, n int, op func(i int) error) time.Duration {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	b.ResetTimer()
	start := time.Now()
	for range n {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				if err := op(i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return elapsed
}

// BenchmarkSignedActs measures signed acts committed per second on the
// embedded ledger (fsync on, 16 concurrent portals): each operation is a full
// interest → fees → two approvals → order flow of 5 acts, signed, verified
// and committed. The reference is the trivial KV.Put on the same ledger.
func BenchmarkSignedActs(b *testing.B) {
	b.Run("flow", func(b *testing.B) {
		_, s := benchScenario(b)
		run := fmt.Sprint(time.Now().UnixNano())
		fees := schema.Fees{AnnualFee: 1_000_000}
		elapsed := runParallel(b, benchSubmitters, func(i int) error {
			return s.Deal(fmt.Sprintf("b%s-%d", run, i), "").Until(b.Context(), schema.AgreementConcluded, fees, "")
		})
		b.ReportMetric(float64(5*b.N)/elapsed.Seconds(), "acts/s")
	})
	b.Run("reference=KV.Put", func(b *testing.B) {
		e, _ := benchScenario(b)
		elapsed := runParallel(b, benchSubmitters, func(i int) error {
			id, err := e.ledger.Identity(scenario.Dataport, "client")
			if err != nil {
				return err
			}
			_, err = e.ledger.Submit(context.Background(), id, ledger.Proposal{Chaincode: ledgertest.Name, Function: "Put",
				Args: [][]byte{[]byte(fmt.Sprint("k", i)), []byte("v")}})
			return err
		})
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "tx/s")
	})
}

// BenchmarkEcrecover measures secp256k1 public-key recovery, the core of
// every signature check.
func BenchmarkEcrecover(b *testing.B) {
	key, err := crypto.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	digest := crypto.Keccak256([]byte("registry"))
	sig, err := crypto.Sign(digest, key)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for b.Loop() {
		if _, err := crypto.SigToPub(digest, sig); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "recoveries/s")
}

// BenchmarkActCost measures one and the same act — the customer's approval
// of a fee version — at three depths of an agreement's history: as its 3rd
// act (the first approval), its 10th and its 100th (after fee changes). The
// 1st act of an agreement is always the customer's interest, a different act,
// so the 3rd is the earliest the same act can be measured. An act's cost must
// not depend on how many acts came before it.
//
// It first prepares b.N agreements per depth outside the timer (16 at a
// time), so that the depths share the ledger's size, then runs the b.N
// approvals of each depth one after the other. Per depth it reports the
// process's CPU time per act, the bytes the act's transaction record keeps in
// its block for good (the values it wrote and its read set), and how much the
// store in use grew per act (the record, the current state, the history and
// transaction indexes, and the store's page overhead; pages split now and
// then, so it is meaningful over many acts). Run it with a fixed count:
// -benchtime 100x.
func BenchmarkActCost(b *testing.B) {
	depths := []int{3, 10, 100}
	e, s := benchScenario(b)
	ctx := b.Context()
	run := fmt.Sprint(time.Now().UnixNano())
	deals := make([]*scenario.Deal, b.N*len(depths))
	runParallel(b, benchSubmitters, func(i int) error {
		for k, nth := range depths {
			d := s.Deal(fmt.Sprintf("c%s-%d-%d", run, nth, i), "")
			if err := toDepth(ctx, d, nth-1); err != nil {
				return err
			}
			deals[i*len(depths)+k] = d
		}
		return nil
	})
	b.ResetTimer()
	b.StartTimer()
	for k, nth := range depths {
		var stored int
		sizeBefore := storedBytes(b, e)
		cpuBefore := cpuTime(b)
		for i := range b.N {
			d := deals[i*len(depths)+k]
			if err := d.Approve(ctx, d.Customer); err != nil {
				b.Fatal(err)
			}
			if got := d.Agreement.ActCount; got != schema.Uint(nth) {
				b.Fatalf("the measured act is the agreement's %dth, not its %dth", got, nth)
			}
			tx, _, err := e.ledger.Transaction(d.Agreement.Act.TxID)
			if err != nil {
				b.Fatal(err)
			}
			stored += tx.StoredSize()
		}
		cpu := cpuTime(b) - cpuBefore
		grown := storedBytes(b, e) - sizeBefore
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), fmt.Sprintf("cpu-µs/act-%d", nth))
		b.ReportMetric(float64(stored)/float64(b.N), fmt.Sprintf("record-bytes/act-%d", nth))
		b.ReportMetric(float64(grown)/float64(b.N), fmt.Sprintf("store-bytes/act-%d", nth))
	}
}

// storedBytes is the ledger's store in use, in bytes.
func storedBytes(b *testing.B, e *env) int64 {
	n, err := e.ledger.StoredBytes()
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// toDepth drives a deal through depth acts such that its next act is the
// customer's approval of a fee version: interest and fees, then after the
// first approvals and the order, fee changes (fees, two approvals) as often
// as it takes.
func toDepth(ctx context.Context, d *scenario.Deal, depth int) error {
	fees := schema.Fees{AnnualFee: 1_000_000}
	if err := d.Interest(ctx); err != nil {
		return err
	}
	if err := d.EnterFees(ctx, fees); err != nil {
		return err
	}
	if depth == 2 {
		return nil
	}
	steps := []func() error{
		func() error { return d.Approve(ctx, d.Customer) },
		func() error { return d.Approve(ctx, d.Anbieter) },
		func() error { return d.Order(ctx) },
	}
	for len(steps) > 0 || int(d.Agreement.ActCount) < depth {
		if len(steps) == 0 {
			fees.AnnualFee++
			steps = []func() error{
				func() error { return d.EnterFees(ctx, fees) },
				func() error { return d.Approve(ctx, d.Customer) },
				func() error { return d.Approve(ctx, d.Anbieter) },
			}
		}
		if int(d.Agreement.ActCount) == depth && d.Agreement.Status == schema.AgreementFeeChangePending && !d.Agreement.ApprovedCustomer {
			return nil
		}
		if err := steps[0](); err != nil {
			return err
		}
		steps = steps[1:]
	}
	return nil
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
