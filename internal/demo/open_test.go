package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/efa-marktplatz/registry/internal/embedded"
	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
)

var (
	testOptions = ledger.Options{MSPID: Members[0], NoSync: true}
	quiet       = slog.New(slog.NewTextHandler(io.Discard, nil))
	errInjected = errors.New("injected failure")
)

// failing lets the first n acts through and fails every later one, as a
// process killed after n acts would. Before each key is registered, it
// checks that the key is on disk already.
type failing struct {
	t       *testing.T
	next    scenario.Registry
	keysDir string
	n, done int
}

func (f *failing) Channel() string { return f.next.Channel() }

func (f *failing) RegisterParty(ctx context.Context, member string, reg schema.PartyRegistration) (json.RawMessage, error) {
	if f.done == f.n {
		return nil, errInjected
	}
	f.done++
	return f.next.RegisterParty(ctx, member, reg)
}

func (f *failing) RecordFigures(ctx context.Context, member string, b schema.FigureBatch) (json.RawMessage, error) {
	if f.done == f.n {
		return nil, errInjected
	}
	f.done++
	return f.next.RecordFigures(ctx, member, b)
}

func (f *failing) SetPartyDetails(ctx context.Context, member, party string, d schema.PartyDetails) (json.RawMessage, error) {
	if f.done == f.n {
		return nil, errInjected
	}
	f.done++
	return f.next.SetPartyDetails(ctx, member, party, d)
}

func (f *failing) Act(ctx context.Context, member string, act *schema.Act) (json.RawMessage, error) {
	if f.done == f.n {
		return nil, errInjected
	}
	if act.Type() == schema.TypeAddKey && act.Authority == schema.ByMember {
		party, _, err := act.Field("party")
		require.NoError(f.t, err)
		address, _, err := act.Field("key")
		require.NoError(f.t, err)
		require.Equal(f.t, address, keyFileAddress(f.t, filepath.Join(f.keysDir, fmt.Sprint(party)+".key")),
			"the key of %s is written before it is registered", party)
	}
	f.done++
	return f.next.Act(ctx, member, act)
}

func keyFileAddress(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	key, err := crypto.HexToECDSA(strings.TrimSpace(string(raw)))
	require.NoError(t, err)
	return crypto.PubkeyToAddress(key.PublicKey).Hex()
}

// acts counts the acts of a whole seed.
func acts(t *testing.T) int {
	t.Helper()
	f := &failing{t: t, n: -1}
	dir := t.TempDir()
	r, err := open(context.Background(), dir, testOptions, quiet, func(next scenario.Registry) scenario.Registry {
		f.next, f.keysDir = next, filepath.Join(dir, keysDirName+seedingSuffix)
		return f
	})
	require.NoError(t, err)
	require.NoError(t, r.Close())
	return f.done
}

// requireWholeDemo checks that a data directory holds the whole demo, a
// key file for every party that is a key the party has registered, and
// nothing a seed builds aside.
func requireWholeDemo(t *testing.T, dir string, r *embedded.Registry) {
	t.Helper()
	c, err := r.Client(Members[0], "client")
	require.NoError(t, err)
	require.NoError(t, Check(context.Background(), c))
	for _, p := range demoParties() {
		party, err := c.Party(context.Background(), p.reg.ID)
		require.NoError(t, err)
		address := keyFileAddress(t, filepath.Join(dir, keysDirName, p.reg.ID+".key"))
		require.True(t, slices.ContainsFunc(party.Keys, func(k schema.Key) bool { return k.Address == address }),
			"the key file of %s holds a key the party registered", p.reg.ID)
	}
	for _, aside := range []string{ledgerDirName + seedingSuffix, keysDirName + seedingSuffix} {
		require.NoFileExists(t, filepath.Join(dir, aside))
		require.NoDirExists(t, filepath.Join(dir, aside))
	}
}

// A seed that stops after any number of acts leaves no ledger; the next
// start discards what it left and seeds the whole demo.
func TestAnInterruptedSeedIsSeededAfresh(t *testing.T) {
	total := acts(t)
	require.Greater(t, total, 60)
	for _, k := range []int{0, 1, 2, 3, 19, 20, 21, 40, total - 2, total - 1} {
		t.Run(fmt.Sprintf("after %d of %d acts", k, total), func(t *testing.T) {
			dir := t.TempDir()
			f := &failing{t: t, n: k}
			_, err := open(context.Background(), dir, testOptions, quiet, func(next scenario.Registry) scenario.Registry {
				f.next, f.keysDir = next, filepath.Join(dir, keysDirName+seedingSuffix)
				return f
			})
			require.ErrorIs(t, err, errInjected)
			require.ErrorContains(t, err, "the next start discards the partial seed")
			require.NoDirExists(t, filepath.Join(dir, ledgerDirName), "an interrupted seed leaves no ledger to serve")

			r, err := Open(context.Background(), dir, testOptions, quiet)
			require.NoError(t, err)
			t.Cleanup(func() { _ = r.Close() })
			requireWholeDemo(t, dir, r)
		})
	}
}

// A seed interrupted between moving the keys and the ledger into place
// left keys that belong to no ledger: they are discarded with the rest.
func TestASeedInterruptedWhileMovingIntoPlace(t *testing.T) {
	dir := t.TempDir()
	r, err := Open(context.Background(), dir, testOptions, quiet)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	require.NoError(t, os.Rename(filepath.Join(dir, ledgerDirName), filepath.Join(dir, ledgerDirName+seedingSuffix)))

	r, err = Open(context.Background(), dir, testOptions, quiet)
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	requireWholeDemo(t, dir, r)
}

// A complete demo opens as it is, without seeding again.
func TestASeededDemoOpensAsItIs(t *testing.T) {
	dir := t.TempDir()
	r, err := Open(context.Background(), dir, testOptions, quiet)
	require.NoError(t, err)
	height := r.Height()
	require.NoError(t, r.Close())
	r, err = Open(context.Background(), dir, testOptions, quiet)
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	require.Equal(t, height, r.Height())
	requireWholeDemo(t, dir, r)
}

// A ledger that holds no demo, or part of one (seeded in place and
// interrupted, as Seed alone leaves it), is refused, saying what to do.
func TestLedgersWithoutTheWholeDemoAreRefused(t *testing.T) {
	t.Run("no demo", func(t *testing.T) {
		dir := t.TempDir()
		r, err := embedded.Open(filepath.Join(dir, ledgerDirName), testOptions)
		require.NoError(t, err)
		require.NoError(t, r.Close())
		_, err = Open(context.Background(), dir, testOptions, quiet)
		require.ErrorIs(t, err, ErrNoDemo)
		require.ErrorContains(t, err, "only a new data directory")
	})
	t.Run("part of the demo", func(t *testing.T) {
		dir := t.TempDir()
		r, err := embedded.Open(filepath.Join(dir, ledgerDirName), testOptions)
		require.NoError(t, err)
		f := &failing{t: t, n: 30, keysDir: filepath.Join(dir, keysDirName)}
		err = seed(context.Background(), r, f.keysDir, nil, func(next scenario.Registry) scenario.Registry { f.next = next; return f })
		require.ErrorIs(t, err, errInjected)
		require.NoError(t, r.Close())
		_, err = Open(context.Background(), dir, testOptions, quiet)
		require.ErrorIs(t, err, ErrIncomplete)
		require.ErrorContains(t, err, "remove the data directory and start again")
	})
}
