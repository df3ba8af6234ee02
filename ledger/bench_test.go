package ledger_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/ledger/ledgertest"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	bolt "go.etcd.io/bbolt"
)

var submitterCounts = []int{1, 8, 64}

// run spreads b.N operations over n goroutines and reports operations per second.
func runConcurrent(b *testing.B, n int, op func(worker, i int) error) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	b.ResetTimer()
	start := time.Now()
	for w := range n {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				if err := op(w, i); err != nil {
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
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "tx/s")
}

// BenchmarkCommit measures committed transactions per second of the trivial
// Put contract, fsync on, with 1, 8 and 64 concurrent submitters.
func BenchmarkCommit(b *testing.B) {
	for _, n := range submitterCounts {
		b.Run(fmt.Sprintf("submitters=%d", n), func(b *testing.B) {
			l := openKV(b, b.TempDir(), ledger.Options{})
			id, err := l.DefaultIdentity()
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			runConcurrent(b, n, func(_, i int) error {
				key := fmt.Sprintf("key-%09d", i)
				_, err := l.Submit(ctx, id, ledger.Proposal{Chaincode: ledgertest.Name, Function: "Put", Args: args(key, "value")})
				return err
			})
			b.ReportMetric(float64(b.N)/float64(l.Height()-1), "tx/block")
		})
	}
}

// BenchmarkReferenceBolt is the floor under BenchmarkCommit: the same writes
// straight into bbolt, with bbolt's own group commit (DB.Batch) and fsync, no
// chaincode, no block, no signature.
func BenchmarkReferenceBolt(b *testing.B) {
	for _, n := range submitterCounts {
		b.Run(fmt.Sprintf("submitters=%d", n), func(b *testing.B) {
			db, err := bolt.Open(filepath.Join(b.TempDir(), "ref.db"), 0o600, &bolt.Options{NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			db.MaxBatchDelay = 2 * time.Millisecond
			db.MaxBatchSize = 500
			if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("kv")); return err }); err != nil {
				b.Fatal(err)
			}
			runConcurrent(b, n, func(_, i int) error {
				key := []byte(fmt.Sprintf("key-%09d", i))
				return db.Batch(func(tx *bolt.Tx) error { return tx.Bucket([]byte("kv")).Put(key, []byte("value")) })
			})
		})
	}
}

// rawGet is a chaincode (Put and Get) written against the bare shim, without the contract
// API: it separates the ledger's own cost from contractapi's.
type rawGet struct{}

func (rawGet) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

func (rawGet) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, params := stub.GetFunctionAndParameters()
	if fn == "Put" {
		if err := stub.PutState(params[0], []byte(params[1])); err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(nil)
	}
	v, err := stub.GetState(params[0])
	if err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success(v)
}

// BenchmarkEvaluate measures the latency of a read through a chaincode
// against committed state: KV.Get through the contract API, and the same read
// through a bare-shim chaincode.
func BenchmarkEvaluate(b *testing.B) {
	kv, err := ledgertest.New()
	if err != nil {
		b.Fatal(err)
	}
	l, err := ledger.Open(b.TempDir(), ledger.Options{Chaincodes: map[string]shim.Chaincode{ledgertest.Name: kv, "raw": rawGet{}}})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	id, err := l.DefaultIdentity()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, cc := range []string{ledgertest.Name, "raw"} {
		if _, err := l.Submit(ctx, id, ledger.Proposal{Chaincode: cc, Function: "Put", Args: args("k", "value")}); err != nil {
			b.Fatal(err)
		}
		b.Run("chaincode="+cc, func(b *testing.B) {
			p := ledger.Proposal{Chaincode: cc, Function: "Get", Args: args("k")}
			for b.Loop() {
				v, err := l.Evaluate(ctx, id, p)
				if err != nil || string(v) != "value" {
					b.Fatalf("Get: %q, %v", v, err)
				}
			}
		})
	}
}

// BenchmarkReferenceBoltGet is the floor under BenchmarkEvaluate: the same
// read straight from a bbolt read transaction.
func BenchmarkReferenceBoltGet(b *testing.B) {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "ref.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucket([]byte("kv"))
		if err != nil {
			return err
		}
		return bk.Put([]byte("k"), []byte("value"))
	}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := db.View(func(tx *bolt.Tx) error {
			if v := tx.Bucket([]byte("kv")).Get([]byte("k")); v == nil {
				return fmt.Errorf("missing")
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
}
