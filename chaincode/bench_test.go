package chaincode_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/chaincode"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/ledger/ledgertest"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

const benchSubmitters = 16

// benchEnv is a scenario on a ledger with fsync on, as in production, with
// the trivial KV contract installed beside the registry as the reference.
func benchScenario(b *testing.B) *scenario {
	b.Helper()
	kv, err := ledgertest.New()
	if err != nil {
		b.Fatal(err)
	}
	e := newEmbeddedEnv(b, map[string]shim.Chaincode{ledgertest.Name: kv}, true)
	return newScenario(b, e)
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
		s := benchScenario(b)
		run := fmt.Sprint(time.Now().UnixNano())
		elapsed := runParallel(b, benchSubmitters, func(i int) error {
			id := s.id(fmt.Sprintf("b%s-%d", run, i))
			if _, err := s.act("ExpressInterest", &chaincode.ExpressInterestMessage{Agreement: id, Offering: s.offering.Offering, Customer: s.customer.id, Replay: s.replay()}, s.customer.key); err != nil {
				return err
			}
			out, err := s.act("EnterFees", &chaincode.EnterFeesMessage{Agreement: id, FeeVersion: 1, PriceModelHash: s.priceModel.Hash, AnnualFee: 1_000_000, Replay: s.replay()}, s.supplier.key)
			if err != nil {
				return err
			}
			a := decode[chaincode.Agreement](b, out)
			for _, p := range []party{s.customer, s.anbieter} {
				if _, err := s.act("ApproveFees", &chaincode.ApproveFeesMessage{Agreement: id, Party: p.id, FeeVersion: 1, TermsHash: a.TermsHash, Replay: s.replay()}, p.key); err != nil {
					return err
				}
			}
			_, err = s.act("PlaceOrder", &chaincode.PlaceOrderMessage{Agreement: id, TermsHash: a.TermsHash, Replay: s.replay()}, s.customer.key)
			return err
		})
		b.ReportMetric(float64(5*b.N)/elapsed.Seconds(), "acts/s")
	})
	b.Run("reference=KV.Put", func(b *testing.B) {
		s := benchScenario(b)
		elapsed := runParallel(b, benchSubmitters, func(i int) error {
			id, err := s.ledger.Identity(dataport, "client")
			if err != nil {
				return err
			}
			_, err = s.ledger.Submit(context.Background(), id, ledger.Proposal{Chaincode: ledgertest.Name, Function: "Put",
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
