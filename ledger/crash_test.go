package ledger_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/ledger/ledgertest"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
)

// The crash test re-runs this test binary as the process to kill.
const (
	crashDirEnv   = "LEDGER_CRASH_CHILD_DIR"
	crashRoundEnv = "LEDGER_CRASH_CHILD_ROUND"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		if err := crashChild(dir, os.Getenv(crashRoundEnv)); err != nil {
			fmt.Fprintln(os.Stderr, "crash child:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// crashChild commits from 16 concurrent submitters until it is killed. It
// prints "READY" once the ledger is open and "ACK txid key" for every
// transaction whose Submit returned: only those are acknowledged.
func crashChild(dir, round string) error {
	l, err := openKVLedger(dir, ledger.Options{MaxBlockTxs: 64})
	if err != nil {
		return err
	}
	id, err := l.DefaultIdentity()
	if err != nil {
		return err
	}
	var out sync.Mutex
	say := func(line string) {
		out.Lock()
		defer out.Unlock()
		_, _ = os.Stdout.WriteString(line + "\n") // one write per line: atomic on a pipe
	}
	say("READY")
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := 0; ; i++ {
				key := fmt.Sprintf("r%s-w%d-%d", round, w, i)
				c, err := l.Submit(context.Background(), id, ledger.Proposal{Chaincode: ledgertest.Name, Function: "Put", Args: args(key, key)})
				if err != nil {
					say("ERR " + err.Error())
					return
				}
				say(fmt.Sprintf("ACK %s %s", c.TxID, key))
			}
		})
	}
	wg.Wait()
	return nil
}

// Kill a process that commits under concurrent load with SIGKILL at random
// moments, reopen its ledger, and check that every acknowledged transaction is
// there and that the chain verifies.
func TestCrashLosesNoAcknowledgedTransaction(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash test runs in the full suite (make test runs it without -short)")
	}
	const rounds = 12
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	acked := map[string]string{} // tx id → key
	for round := range rounds {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, fmt.Sprintf("%s=%d", crashRoundEnv, round))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())

		ready := make(chan struct{})
		lines := make(chan []string, 1)
		go func() {
			var got []string
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if sc.Text() == "READY" {
					close(ready)
					continue
				}
				got = append(got, sc.Text())
			}
			lines <- got
		}()
		// Every fourth round is killed at a random moment of its start-up
		// (MSP, store and genesis creation included); the others under load.
		if round%4 == 0 {
			time.Sleep(time.Duration(rng.IntN(60)) * time.Millisecond)
		} else {
			select {
			case <-ready:
			case <-time.After(time.Minute):
				t.Fatalf("round %d: the child did not open its ledger: %s", round, stderr.String())
			}
			time.Sleep(time.Duration(20+rng.IntN(300)) * time.Millisecond)
		}
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		err = cmd.Wait()
		require.Error(t, err, "round %d: the child must die by SIGKILL", round)
		require.NotContains(t, stderr.String(), "crash child:", "round %d", round)

		n := 0
		for _, line := range <-lines {
			f := strings.Fields(line)
			require.True(t, len(f) == 3 && f[0] == "ACK", "round %d: unexpected child output %q", round, line)
			acked[f[1]] = f[2]
			n++
		}
		t.Logf("round %d: killed after %d acknowledged transactions", round, n)

		l, err := openKVLedger(dir, ledger.Options{})
		require.NoError(t, err, "round %d: reopen after SIGKILL", round)
		require.NoError(t, l.Verify(t.Context()), "round %d: the chain verifies", round)
		c := newClient(t, l)
		for txID, key := range acked {
			tx, _, err := l.Transaction(txID)
			require.NoError(t, err, "round %d: acknowledged transaction %s lost", round, txID)
			require.Equal(t, peer.TxValidationCode_VALID, tx.ValidationCode)
			require.Equal(t, key, c.get(key), "round %d: the write of %s", round, txID)
		}
		require.NoError(t, l.Close())
	}
	require.Greater(t, len(acked), 100, "the children committed under load before they were killed")
	t.Logf("%d rounds, %d acknowledged transactions, none lost", rounds, len(acked))
}
