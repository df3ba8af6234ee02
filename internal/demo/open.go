package demo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/internal/atomicfile"
	"github.com/efa-marktplatz/registry/internal/embedded"
	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/schema"
)

// The layout of a data directory (registry-api --data).
const (
	ledgerDirName = "ledger"    // the embedded ledger
	keysDirName   = "demo-keys" // the demo parties' keys
	// seedingSuffix marks what a seed builds aside until it is complete.
	seedingSuffix = ".seeding"
)

// ErrNoDemo means a ledger exists but holds no demo: --demo seeds only a
// new data directory.
var ErrNoDemo = errors.New("demo: the ledger holds no demo data; --demo seeds only a new data directory")

// ErrIncomplete means a ledger holds part of the demo only.
var ErrIncomplete = errors.New("demo: the ledger holds an incomplete demo")

// Open opens the embedded registry of a data directory with the demo in it
// (registry-api --demo). A data directory without a ledger first gets the
// demo, built aside — the ledger in DIR/ledger.seeding, the parties' keys
// in DIR/demo-keys.seeding — and moved into place (keys first, the ledger
// last) only once it is complete. A seed killed at any point so leaves no
// ledger behind: the next start discards what it left and seeds afresh.
// An existing ledger must hold the whole demo (Check); Open refuses one
// that does not, saying what to do.
func Open(ctx context.Context, dataDir string, o ledger.Options, logger *slog.Logger) (*embedded.Registry, error) {
	return open(ctx, dataDir, o, logger, nil)
}

func open(ctx context.Context, dataDir string, o ledger.Options, logger *slog.Logger, wrap func(scenario.Registry) scenario.Registry) (*embedded.Registry, error) {
	ledgerDir := filepath.Join(dataDir, ledgerDirName)
	switch _, err := os.Stat(ledgerDir); {
	case errors.Is(err, fs.ErrNotExist):
		began := time.Now()
		if err := seedAside(ctx, dataDir, o, logger, wrap); err != nil {
			return nil, fmt.Errorf("%w (the next start discards the partial seed and seeds afresh)", err)
		}
		logger.Info("demo data seeded", "took", time.Since(began).Round(time.Millisecond).String(), "keys", filepath.Join(dataDir, keysDirName))
	case err != nil:
		return nil, fmt.Errorf("demo: %w", err)
	}
	r, err := embedded.Open(ledgerDir, o)
	if err != nil {
		return nil, err
	}
	c, err := r.Client(Members[0], "client")
	if err == nil {
		err = Check(ctx, c)
	}
	if err != nil {
		_ = r.Close()
		return nil, fmt.Errorf("%s: %w", ledgerDir, err)
	}
	return r, nil
}

// seedAside builds the demo in DIR/ledger.seeding and DIR/demo-keys.seeding
// and moves both into place once complete: the keys first, then the ledger,
// whose arrival in DIR/ledger completes the seed.
func seedAside(ctx context.Context, dataDir string, o ledger.Options, logger *slog.Logger, wrap func(scenario.Registry) scenario.Registry) error {
	ledgerDir, keysDir := filepath.Join(dataDir, ledgerDirName), filepath.Join(dataDir, keysDirName)
	seedingLedger, seedingKeys := ledgerDir+seedingSuffix, keysDir+seedingSuffix
	// Without a ledger, whatever a seed left here belongs to no ledger.
	for _, leftover := range []string{seedingLedger, seedingKeys, keysDir} {
		if _, err := os.Lstat(leftover); err == nil {
			logger.Warn("demo: an earlier seed was interrupted; discarding what it left and seeding afresh", "path", leftover)
			if err := os.RemoveAll(leftover); err != nil {
				return fmt.Errorf("demo: discard %s: %w", leftover, err)
			}
		}
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("demo: data directory: %w", err)
	}
	logger.Info("demo: seeding", "ledger", seedingLedger)
	r, err := embedded.Open(seedingLedger, o)
	if err != nil {
		return err
	}
	if err := seed(ctx, r, seedingKeys, logger, wrap); err != nil {
		_ = r.Close()
		return err
	}
	if err := r.Close(); err != nil {
		return fmt.Errorf("demo: close the seeded ledger: %w", err)
	}
	for _, mv := range [][2]string{{seedingKeys, keysDir}, {seedingLedger, ledgerDir}} {
		if err := os.Rename(mv[0], mv[1]); err != nil {
			return fmt.Errorf("demo: move the seeded demo into place: %w", err)
		}
		if err := atomicfile.SyncDir(dataDir); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	return nil
}

// Check reports whether a registry holds the whole demo: every party, every
// offering in its status and every agreement in its status. ErrNoDemo if
// it holds none of it, ErrIncomplete (naming the first record missing) if
// it holds part.
func Check(ctx context.Context, c *client.Client) error {
	if _, err := c.Party(ctx, demoParty); err != nil {
		if notFound(err) {
			return ErrNoDemo
		}
		return fmt.Errorf("demo: %w", err)
	}
	incomplete := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s; its seed was interrupted (remove the data directory and start again)", ErrIncomplete, fmt.Sprintf(format, args...))
	}
	for _, p := range demoParties() {
		party, err := c.Party(ctx, p.reg.ID)
		if notFound(err) {
			return incomplete("party %s is missing", p.reg.ID)
		}
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if len(party.Keys) == 0 {
			return incomplete("party %s has no key", p.reg.ID)
		}
	}
	for _, o := range demoOfferings() {
		off, err := c.Offering(ctx, o.content.Offering)
		if notFound(err) {
			return incomplete("offering %s is missing", o.content.Offering)
		}
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if off.Status != o.status() {
			return incomplete("offering %s is %s, not %s", o.content.Offering, off.Status, o.status())
		}
	}
	for _, a := range demoAgreements {
		ag, err := c.Agreement(ctx, a.id)
		if notFound(err) {
			return incomplete("agreement %s is missing", a.id)
		}
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if ag.Status != a.until {
			return incomplete("agreement %s is %s, not %s", a.id, ag.Status, a.until)
		}
	}
	// The money side is seeded last: this year's invoice of its last
	// agreement is the demo's last act.
	last := settlementAgreements[len(settlementAgreements)-1]
	page, err := c.Invoices(ctx, client.Filter{By: "agreement", Value: last}, client.PageRequest{Size: 10})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if len(page.Items) < 3 {
		return incomplete("agreement %s has %d invoices, not 3", last, len(page.Items))
	}
	return nil
}

// notFound reports whether the chaincode answered that a record does not exist.
func notFound(err error) bool {
	var re *schema.Error
	return errors.As(err, &re) && re.Code == schema.CodeNotFound
}
