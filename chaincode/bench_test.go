package chaincode_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
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
