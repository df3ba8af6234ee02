package readmodel

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/internal/embedded"
	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/stretchr/testify/require"
)

// quiet is the projections' logger in the tests.
var quiet = slog.New(slog.DiscardHandler)

// fixture is the registry on an embedded ledger, reached as Dataport's
// client identity, and a scenario builder over it.
type fixture struct {
	cl *client.Client
	b  *scenario.Builder
	// After build: the marketplace and its deals, by their base id.
	m     *scenario.Marketplace
	deals map[string]*scenario.Deal
	// committed, when set, is called by build after the marketplace and
	// after each deal.
	committed func()
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	l, err := embedded.Open(t.TempDir(), ledger.Options{MSPID: scenario.Dataport, NoSync: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	cl, err := l.Client(scenario.Dataport, "client")
	require.NoError(t, err)
	clients, err := l.Scenario(scenario.Dataport, scenario.Dataport)
	require.NoError(t, err)
	return &fixture{cl: cl, b: scenario.New(clients)}
}

// build commits the standard marketplace (every party vouched for by
// Dataport) and agreements in several states of the workflow, one of them
// a sub-agreement.
func (f *fixture) build(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	m, err := f.b.Marketplace(ctx, scenario.Vouching{Anbieter: scenario.Dataport, Supplier: scenario.Dataport, Customer: scenario.Dataport})
	require.NoError(t, err)
	f.m, f.deals = m, map[string]*scenario.Deal{}
	if f.committed != nil {
		f.committed()
	}
	end := time.Now().AddDate(0, 6, 0).Format(time.DateOnly)
	for _, d := range []struct{ id, parent, status string }{
		{"a-concluded", "", schema.AgreementConcluded},
		{"a-fees", "", schema.AgreementFeesEntered},
		{"a-interest", "", schema.AgreementInterest},
		{"a-change", "", schema.AgreementFeeChangePending},
		{"a-terminated", "", schema.AgreementTerminated},
		{"a-sub", "a-concluded", schema.AgreementApproved},
	} {
		deal := m.Deal(d.id, d.parent)
		require.NoError(t, deal.Until(ctx, d.status, scenario.DefaultFees, end), "deal %s", d.id)
		require.Equal(t, d.status, deal.Agreement.Status)
		f.deals[d.id] = deal
		if f.committed != nil {
			f.committed()
		}
	}
	// An older agreement changed last: the orders by created and by
	// updated differ.
	d := f.deals["a-fees"]
	require.NoError(t, d.Approve(ctx, d.Customer))
	require.Equal(t, schema.AgreementFeesEntered, d.Agreement.Status, "one approval is not enough")
	if f.committed != nil {
		f.committed()
	}
}

// height is the ledger's height: its last block is height-1.
func (f *fixture) height(t *testing.T) uint64 {
	t.Helper()
	h, err := f.cl.Height(t.Context())
	require.NoError(t, err)
	return h
}

// chain collects the ledger's blocks as the client yields them, up to the
// current height.
func (f *fixture) chain(t *testing.T) []*client.BlockChanges {
	t.Helper()
	last := f.height(t) - 1
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var out []*client.BlockChanges
	for b, err := range f.cl.Changes(ctx, 0) {
		require.NoError(t, err)
		require.Equal(t, uint64(len(out)), b.Number, "the blocks come in order, none skipped")
		out = append(out, b)
		if b.Number == last {
			break
		}
	}
	require.Len(t, out, int(last+1))
	return out
}

func openStore(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// project follows src into s in the background; the returned stop ends the
// projection and checks that it ran until stopped. It is also called when
// the test ends.
func project(t *testing.T, s *Store, src client.Changer) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Project(ctx, src, quiet) }()
	stopped := false
	stop = func() {
		t.Helper()
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			require.ErrorIs(t, err, context.Canceled, "the projection ran until it was stopped")
		case <-time.After(10 * time.Second):
			t.Fatal("the projection did not stop")
		}
	}
	t.Cleanup(stop)
	return stop
}

// waitFor waits until s has projected the block.
func waitFor(t *testing.T, s *Store, block uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	require.NoError(t, s.WaitFor(ctx, block))
}

// dumped are the tables compared between a live and a rebuilt read model,
// each with the query that reads all of it.
var dumped = []struct{ table, query string }{
	{"meta", `SELECT * FROM meta`},
	{"state", `SELECT * FROM state`},
	{"records", `SELECT * FROM records`},
	{"checked", `SELECT * FROM checked`},
	{"offerings", `SELECT * FROM offerings`},
	{"offering_leika", `SELECT * FROM offering_leika`},
	{"agreements", `SELECT * FROM agreements`},
	{"events", `SELECT * FROM events`},
	{"event_parties", `SELECT * FROM event_parties`},
	{"offerings_fts", `SELECT id, title, description, ozg, leika, supplier FROM offerings_fts`},
}

// dump reads every table of the read model in full, each row as text, the
// rows sorted.
func dump(t *testing.T, s *Store) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, d := range dumped {
		rows, err := s.db.QueryContext(t.Context(), d.query)
		require.NoError(t, err, d.table)
		cols, err := rows.Columns()
		require.NoError(t, err)
		out[d.table] = []string{}
		for rows.Next() {
			values := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range values {
				ptrs[i] = &values[i]
			}
			require.NoError(t, rows.Scan(ptrs...))
			var row []string
			for i, v := range values {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				row = append(row, fmt.Sprintf("%s=%#v", cols[i], v))
			}
			out[d.table] = append(out[d.table], strings.Join(row, " | "))
		}
		require.NoError(t, rows.Err())
		require.NoError(t, rows.Close())
		sort.Strings(out[d.table])
	}
	return out
}

func TestRebuiltEqualsLive(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	livePath := filepath.Join(dir, "live.sqlite")
	live := openStore(t, livePath)
	stopLive := project(t, live, f.cl)

	// Committed while the live read model follows: it applies the blocks
	// as they come, and has caught up after each step.
	steps := 0
	f.committed = func() {
		waitFor(t, live, f.height(t)-1)
		steps++
	}
	f.build(t)
	require.Equal(t, 2+len(f.deals), steps)
	last := f.height(t) - 1
	waitFor(t, live, last)
	stopLive()
	require.Equal(t, last+1, live.Next())
	require.NoError(t, live.Verify(t.Context()))
	want := dump(t, live)
	for _, d := range dumped {
		require.NotEmpty(t, want[d.table], "the scenario fills table %s", d.table)
	}
	require.Len(t, want["agreements"], len(f.deals))
	head := live.Head()
	require.Positive(t, head)

	check := func(t *testing.T, s *Store) {
		t.Helper()
		waitFor(t, s, last)
		require.Equal(t, last+1, s.Next())
		require.Equal(t, head, s.Head())
		require.NoError(t, s.Verify(t.Context()))
		got := dump(t, s)
		for _, d := range dumped {
			require.Equal(t, want[d.table], got[d.table], "table %s", d.table)
		}
	}

	t.Run("a second store at a new path", func(t *testing.T) {
		s := openStore(t, filepath.Join(dir, "rebuilt.sqlite"))
		require.Zero(t, s.Next())
		project(t, s, f.cl)
		check(t, s)
	})

	t.Run("the live store deleted and rebuilt", func(t *testing.T) {
		require.NoError(t, live.Close())
		require.NoError(t, Remove(livePath))
		for _, p := range []string{livePath, livePath + "-wal", livePath + "-shm"} {
			_, err := os.Stat(p)
			require.ErrorIs(t, err, os.ErrNotExist, p)
		}
		require.NoError(t, Remove(livePath), "removing what is gone is no error")
		s := openStore(t, livePath)
		require.Zero(t, s.Next(), "a missing database starts at block 0")
		require.Zero(t, s.Head())
		project(t, s, f.cl)
		check(t, s)
	})
}

// projectedFixture builds the scenario and projects all of the ledger
// into a new store.
func projectedFixture(t *testing.T) (*fixture, *Store) {
	t.Helper()
	f := newFixture(t)
	f.build(t)
	s := openStore(t, filepath.Join(t.TempDir(), "rm.sqlite"))
	project(t, s, f.cl)
	waitFor(t, s, f.height(t)-1)
	require.NoError(t, s.Verify(t.Context()))
	return f, s
}

func TestTamperedProjectedRecordIsDetected(t *testing.T) {
	f := newFixture(t)
	f.build(t)
	// The agreement whose last act (the order) hashed it in its event.
	id := f.deals["a-concluded"].ID
	key := schema.AgreementKey(id)
	// tampered is a value read by query (from args) with the status changed.
	tampered := func(t *testing.T, s *Store, query string, args ...any) []byte {
		t.Helper()
		var v []byte
		require.NoError(t, s.db.QueryRowContext(t.Context(), query, args...).Scan(&v))
		out := []byte(strings.Replace(string(v), `"`+schema.AgreementConcluded+`"`, `"`+schema.AgreementTerminated+`"`, 1))
		require.NotEqual(t, v, out, "the tampering changes something")
		return out
	}
	cases := []struct {
		name   string
		tamper func(t *testing.T, s *Store)
		want   string
	}{
		{"the mirrored value", func(t *testing.T, s *Store) {
			v := tampered(t, s, `SELECT value FROM state WHERE key = ?`, key)
			exec(t, s, `UPDATE state SET value = ? WHERE key = ?`, v, key)
		}, "hashes to"},
		{"the read form", func(t *testing.T, s *Store) {
			v := tampered(t, s, `SELECT body FROM records WHERE kind = 'agreement' AND id = ?`, id)
			exec(t, s, `UPDATE records SET body = ? WHERE kind = 'agreement' AND id = ?`, v, id)
		}, "read form differs"},
		{"the checked hash", func(t *testing.T, s *Store) {
			exec(t, s, `UPDATE checked SET stored_hash = ? WHERE kind = 'agreement' AND id = ?`, "0x"+strings.Repeat("00", 32), id)
		}, "its event said 0x0000"},
		{"one of its acts", func(t *testing.T, s *Store) {
			exec(t, s, `UPDATE state SET value = ? WHERE key = ?`, []byte(`{"type":"forged"}`), schema.ActKey(schema.RecordAgreement, id, 1))
		}, "read form differs"},
		{"the mirrored value deleted", func(t *testing.T, s *Store) {
			exec(t, s, `DELETE FROM state WHERE key = ?`, key)
		}, "its stored value"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := openStore(t, filepath.Join(t.TempDir(), "rm.sqlite"))
			stop := project(t, s, f.cl)
			waitFor(t, s, f.height(t)-1)
			stop()
			require.NoError(t, s.Verify(t.Context()))
			var n int
			require.NoError(t, s.db.QueryRowContext(t.Context(), `SELECT count(*) FROM checked WHERE kind = 'agreement' AND id = ?`, id).Scan(&n))
			require.Equal(t, 1, n, "the order's event hashed the agreement")

			c.tamper(t, s)
			err := s.Verify(t.Context())
			require.ErrorIs(t, err, ErrMismatch)
			require.ErrorContains(t, err, "agreement "+id)
			require.ErrorContains(t, err, c.want)
		})
	}
}

func exec(t *testing.T, s *Store, query string, args ...any) {
	t.Helper()
	res, err := s.db.ExecContext(t.Context(), query, args...)
	require.NoError(t, err)
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.Equal(t, int64(1), n, "%s changes one row", query)
}

// tampering yields the blocks of a source, with one transaction of one
// block changed on its way.
type tampering struct {
	t      *testing.T
	src    client.Changer
	block  uint64
	tx     uint32
	change func(*testing.T, *client.TxChanges)
}

func (c *tampering) Changes(ctx context.Context, from uint64) iter.Seq2[*client.BlockChanges, error] {
	return func(yield func(*client.BlockChanges, error) bool) {
		for b, err := range c.src.Changes(ctx, from) {
			if err == nil && b.Number == c.block {
				b = c.alter(b)
			}
			if !yield(b, err) {
				return
			}
		}
	}
}

// alter copies the block (the source's may share the ledger's memory) and
// changes the copy.
func (c *tampering) alter(b *client.BlockChanges) *client.BlockChanges {
	out := &client.BlockChanges{Number: b.Number}
	for _, t := range b.Transactions {
		cp := *t
		if t.Event != nil {
			ev := *t.Event
			ev.Payload = slices.Clone(t.Event.Payload)
			cp.Event = &ev
		}
		cp.Writes = nil
		for _, w := range t.Writes {
			w.Value = slices.Clone(w.Value)
			cp.Writes = append(cp.Writes, w)
		}
		if cp.Index == c.tx {
			c.change(c.t, &cp)
		}
		out.Transactions = append(out.Transactions, &cp)
	}
	return out
}

func eventOf(t *testing.T, tx *client.TxChanges) *schema.Event {
	t.Helper()
	if tx.Event == nil {
		return nil
	}
	var ev schema.Event
	require.NoError(t, json.Unmarshal(tx.Event.Payload, &ev))
	return &ev
}

func TestProjectionStopsOnAMismatch(t *testing.T) {
	f := newFixture(t)
	f.build(t)
	chain := f.chain(t)
	last := uint64(len(chain) - 1)

	// The block that registers the Anbieter: its event names the party and
	// hashes it as its transaction wrote it.
	party := f.m.Anbieter.ID
	var block uint64
	var tx uint32
	found := false
	for _, b := range chain {
		for _, tc := range b.Transactions {
			if ev := eventOf(t, tc); !found && ev != nil && ev.Record == string(schema.RecordParty) && ev.ID == party {
				block, tx, found = b.Number, tc.Index, true
			}
		}
	}
	require.True(t, found, "a block registers %s", party)
	require.Positive(t, block)
	require.Less(t, block, last)

	cases := []struct {
		name   string
		change func(*testing.T, *client.TxChanges)
		want   []string
	}{
		{"the value of the record its event names", func(t *testing.T, tx *client.TxChanges) {
			for i, w := range tx.Writes {
				if w.Key == schema.PartyKey(party) {
					var p map[string]any
					require.NoError(t, json.Unmarshal(w.Value, &p))
					p["name"] = "Tampered eG"
					v, err := json.Marshal(p)
					require.NoError(t, err)
					tx.Writes[i].Value = v
				}
			}
		}, []string{"party " + party + " hashes to"}},
		{"the record its event names not written", func(t *testing.T, tx *client.TxChanges) {
			tx.Writes = slices.DeleteFunc(tx.Writes, func(w client.Write) bool { return w.Key == schema.PartyKey(party) })
		}, []string{"did not write party " + party}},
		{"an event of another transaction", func(t *testing.T, tx *client.TxChanges) {
			ev := map[string]any{}
			require.NoError(t, json.Unmarshal(tx.Event.Payload, &ev))
			ev["txId"] = "another"
			var err error
			tx.Event.Payload, err = json.Marshal(ev)
			require.NoError(t, err)
		}, []string{"names transaction another"}},
		{"an event that does not decode", func(t *testing.T, tx *client.TxChanges) {
			tx.Event.Payload = []byte("{not json")
		}, []string{"does not decode"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := openStore(t, filepath.Join(t.TempDir(), "rm.sqlite"))
			src := &tampering{t: t, src: f.cl, block: block, tx: tx, change: c.change}
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			err := s.Project(ctx, src, quiet)
			require.ErrorIs(t, err, ErrMismatch)
			require.ErrorContains(t, err, fmt.Sprintf("block %d,", block))
			for _, w := range c.want {
				require.ErrorContains(t, err, w)
			}
			require.Equal(t, err, s.Failed(), "the projection keeps why it stopped")
			require.Equal(t, block, s.Next(), "the bad block is not applied")

			require.NoError(t, s.WaitFor(ctx, block-1), "the blocks before it are projected")
			require.Equal(t, err, s.WaitFor(ctx, block))
			require.Equal(t, err, s.WaitFor(ctx, last))
			_, rerr := s.Record(ctx, schema.PartyRef(party))
			require.ErrorIs(t, rerr, ErrNotFound, "nothing of the bad block is in the read model")
			var n int
			require.NoError(t, s.db.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE block >= ?`, block).Scan(&n))
			require.Zero(t, n)
			require.NoError(t, s.Verify(ctx), "what was projected is consistent")

			// Reopened, it resumes at the bad block: from the honest source
			// it catches up.
			require.NoError(t, s.Close())
			s2 := openStore(t, s.path)
			require.Equal(t, block, s2.Next())
			require.NoError(t, s2.Failed())
			project(t, s2, f.cl)
			waitFor(t, s2, last)
			require.NoError(t, s2.Verify(t.Context()))
		})
	}

	t.Run("a gap", func(t *testing.T) {
		cases := []struct {
			name  string
			apply []uint64 // the blocks applied before the last, in order
			next  uint64   // the checkpoint then
			gap   uint64   // the block refused
		}{
			{"before the first block", nil, 0, 1},
			{"after a few blocks", []uint64{0, 1, 2}, 3, 5},
			{"after a repeated block", []uint64{0, 1, 1, 0, 2}, 3, 4},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				s := openStore(t, filepath.Join(t.TempDir(), "rm.sqlite"))
				for _, n := range c.apply {
					require.NoError(t, s.Apply(t.Context(), chain[n]), "block %d", n)
				}
				require.Equal(t, c.next, s.Next())
				err := s.Apply(t.Context(), chain[c.gap])
				require.ErrorContains(t, err, "a gap")
				require.ErrorContains(t, err, fmt.Sprintf("block %d comes where block %d is expected", c.gap, c.next))
				require.Equal(t, c.next, s.Next(), "the gap is not applied")
				require.NoError(t, s.Apply(t.Context(), chain[c.next]), "the next block still is")
				require.Equal(t, c.next+1, s.Next())
			})
		}
	})

	t.Run("a source that skips a block", func(t *testing.T) {
		s := openStore(t, filepath.Join(t.TempDir(), "rm.sqlite"))
		src := skipping{blocks: chain, skip: block}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		err := s.Project(ctx, src, quiet)
		require.ErrorContains(t, err, fmt.Sprintf("block %d comes where block %d is expected: a gap", block+1, block))
		require.Equal(t, err, s.Failed())
		require.Equal(t, block, s.Next())
		require.Equal(t, err, s.WaitFor(ctx, last))
	})
}

// skipping yields blocks but one.
type skipping struct {
	blocks []*client.BlockChanges
	skip   uint64
}

func (s skipping) Changes(ctx context.Context, from uint64) iter.Seq2[*client.BlockChanges, error] {
	return func(yield func(*client.BlockChanges, error) bool) {
		for _, b := range s.blocks[from:] {
			if b.Number == s.skip {
				continue
			}
			if !yield(b, nil) {
				return
			}
		}
		<-ctx.Done()
	}
}

func TestListingAndEvents(t *testing.T) {
	f, s := projectedFixture(t)
	ctx := t.Context()
	customer, supplier, anbieter := f.m.Customer.ID, f.m.Supplier.ID, f.m.Anbieter.ID
	offering := f.m.Offering.Offering
	id := func(n string) string { return f.deals[n].ID }
	// In the order their interest was expressed.
	all := []string{id("a-concluded"), id("a-fees"), id("a-interest"), id("a-change"), id("a-terminated"), id("a-sub")}
	// The orders by created and by updated, as the ledger has them: the
	// first and the last transaction that wrote each agreement.
	chain := f.chain(t)
	first, latest := map[string]int64{}, map[string]int64{}
	for _, b := range chain {
		for _, tx := range b.Transactions {
			for _, w := range tx.Writes {
				for _, a := range all {
					if w.Key == schema.AgreementKey(a) {
						pos := order(b.Number, tx.Index)
						if _, ok := first[a]; !ok {
							first[a] = pos
						}
						latest[a] = pos
					}
				}
			}
		}
	}
	byPos := func(pos map[string]int64) []string {
		out := slices.Clone(all)
		slices.SortFunc(out, func(a, b string) int { return cmp.Compare(pos[a], pos[b]) })
		return out
	}
	require.Equal(t, all, byPos(first))
	byUpdated := byPos(latest)
	require.NotEqual(t, all, byUpdated, "an older agreement changed last")

	ids := func(p *Page) []string {
		out := []string{}
		for _, raw := range p.Items {
			var a struct {
				ID       string `json:"id"`
				Offering string `json:"offering"`
			}
			require.NoError(t, json.Unmarshal(raw, &a), "%s", raw)
			if a.ID == "" {
				a.ID = a.Offering
			}
			out = append(out, a.ID)
		}
		return out
	}
	reversed := func(s []string) []string { s = slices.Clone(s); slices.Reverse(s); return s }

	t.Run("list", func(t *testing.T) {
		cases := []struct {
			name string
			kind schema.Record
			l    Listing
			want []string
		}{
			{"every agreement, by id", schema.RecordAgreement, Listing{Limit: 100}, slices.Sorted(slices.Values(all))},
			{"filters combined", schema.RecordAgreement, Listing{Limit: 100, Filters: map[string]string{
				"customer": customer, "supplier": supplier, "anbieter": anbieter, "offering": offering, "status": schema.AgreementConcluded,
			}}, []string{id("a-concluded")}},
			{"filters excluding each other", schema.RecordAgreement, Listing{Limit: 100, Filters: map[string]string{
				"customer": customer, "anbieter": supplier,
			}}, []string{}},
			{"newest first", schema.RecordAgreement, Listing{Limit: 100, Sort: "-created", Filters: map[string]string{"customer": customer}}, reversed(all)},
			{"oldest first", schema.RecordAgreement, Listing{Limit: 100, Sort: "created", Filters: map[string]string{"offering": offering}}, all},
			{"last changed first", schema.RecordAgreement, Listing{Limit: 100, Sort: "-updated", Filters: map[string]string{"supplier": supplier}}, reversed(byUpdated)},
			{"by status", schema.RecordAgreement, Listing{Limit: 100, Filters: map[string]string{"status": schema.AgreementInterest}}, []string{id("a-interest")}},
			{"offerings by text and filter", schema.RecordOffering, Listing{Limit: 100, Text: "bauan", Filters: map[string]string{"supplier": supplier, "status": schema.OfferingPublished}}, []string{offering}},
			{"offerings by the supplier's name", schema.RecordOffering, Listing{Limit: 100, Text: "Mecklenburg"}, []string{offering}},
			{"offerings by kind", schema.RecordOffering, Listing{Limit: 100, Filters: map[string]string{"kind": schema.KindOZGService, "supplier": supplier}}, []string{offering}},
			{"offerings of another kind", schema.RecordOffering, Listing{Limit: 100, Filters: map[string]string{"kind": schema.KindCloudService, "supplier": supplier}}, []string{}},
			{"offerings by leika", schema.RecordOffering, Listing{Limit: 100, Filters: map[string]string{"leika": "99999999000000"}}, []string{offering}},
			{"offerings by text not there", schema.RecordOffering, Listing{Limit: 100, Text: `Bauantrag "OR x`}, []string{}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				p, err := s.List(ctx, c.kind, c.l)
				require.NoError(t, err)
				require.Equal(t, c.want, ids(p))
				require.Empty(t, p.Next)
			})
		}
	})

	t.Run("list refused", func(t *testing.T) {
		cases := []struct {
			name string
			kind schema.Record
			l    Listing
			want string
		}{
			{"a kind without listing", schema.RecordParty, Listing{Limit: 1}, "no listing of party"},
			{"an unknown sort", schema.RecordAgreement, Listing{Limit: 1, Sort: "title"}, `sort "title"`},
			{"an unknown filter", schema.RecordAgreement, Listing{Limit: 1, Filters: map[string]string{"themenfeld": "x"}}, `no filter "themenfeld"`},
			{"text on agreements", schema.RecordAgreement, Listing{Limit: 1, Text: "x"}, "no text search on agreement"},
			{"a cursor that is not one", schema.RecordAgreement, Listing{Limit: 1, Cursor: "nonsense"}, ErrCursor.Error()},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				p, err := s.List(ctx, c.kind, c.l)
				require.ErrorContains(t, err, c.want)
				require.Nil(t, p)
			})
		}
	})

	t.Run("cursor walk", func(t *testing.T) {
		for _, c := range []struct {
			sort string
			want []string
		}{
			{"", slices.Sorted(slices.Values(all))},
			{"-id", reversed(slices.Sorted(slices.Values(all)))},
			{"created", all},
			{"-created", reversed(all)},
			{"updated", byUpdated},
			{"-updated", reversed(byUpdated)},
		} {
			t.Run("sort "+c.sort, func(t *testing.T) {
				l := Listing{Limit: 1, Sort: c.sort, Filters: map[string]string{"customer": customer, "offering": offering}}
				var got []string
				for range len(all) + 1 {
					p, err := s.List(ctx, schema.RecordAgreement, l)
					require.NoError(t, err)
					require.LessOrEqual(t, len(p.Items), 1)
					got = append(got, ids(p)...)
					if p.Next == "" {
						break
					}
					l.Cursor = p.Next
				}
				require.Equal(t, c.want, got, "every agreement once, in order")
				// A cursor of one listing is not one of another.
				p, err := s.List(ctx, schema.RecordAgreement, Listing{Limit: 1, Sort: c.sort, Filters: map[string]string{"customer": customer}})
				require.NoError(t, err)
				_, err = s.List(ctx, schema.RecordAgreement, Listing{Limit: 1, Sort: c.sort, Filters: map[string]string{"customer": customer, "status": "x"}, Cursor: p.Next})
				require.ErrorIs(t, err, ErrCursor)
			})
		}
	})

	t.Run("events", func(t *testing.T) {
		// What the ledger holds: the agreement events, in ledger order.
		var want, every, anbieterOwn []string
		for _, b := range chain {
			for _, tx := range b.Transactions {
				ev := eventOf(t, tx)
				if ev == nil {
					continue
				}
				pos := Position{Block: b.Number, Tx: tx.Index}.String()
				every = append(every, pos)
				if ev.Record == string(schema.RecordAgreement) {
					want = append(want, pos)
				}
				if ev.Record == string(schema.RecordParty) && ev.ID == anbieter {
					anbieterOwn = append(anbieterOwn, pos)
				}
			}
		}
		require.NotEmpty(t, want)
		positions := func(evs []*Event) []string {
			out := []string{}
			for _, e := range evs {
				out = append(out, e.ID)
			}
			return out
		}

		got, err := s.Events(ctx, Position{}, EventFilter{Party: customer, Record: string(schema.RecordAgreement)}, 1000)
		require.NoError(t, err)
		require.Equal(t, want, positions(got))
		for _, e := range got {
			require.Equal(t, string(schema.RecordAgreement), e.Record)
			require.Contains(t, e.Parties, customer)
			require.Contains(t, all, e.RecordID)
			require.True(t, EventFilter{Party: customer, Record: "agreement"}.Matches(e))
		}
		for i := 1; i < len(got); i++ {
			require.Greater(t, got[i].Seq(), got[i-1].Seq())
		}

		everything, err := s.Events(ctx, Position{}, EventFilter{}, 1000)
		require.NoError(t, err)
		require.Equal(t, every, positions(everything), "every event, in ledger order")
		last, err := s.LastEvent(ctx)
		require.NoError(t, err)
		require.Equal(t, every[len(every)-1], last.String())
		require.Equal(t, s.Head(), everything[len(everything)-1].Seq())

		// After a position, a page at a time.
		after, err := ParsePosition(want[1])
		require.NoError(t, err)
		page, err := s.Events(ctx, after, EventFilter{Party: customer, Record: "agreement"}, 2)
		require.NoError(t, err)
		require.Equal(t, want[2:4], positions(page))

		// A party's own events: its registration and its key.
		own, err := s.Events(ctx, Position{}, EventFilter{Party: anbieter, Record: "party"}, 1000)
		require.NoError(t, err)
		require.Len(t, anbieterOwn, 2)
		require.Equal(t, anbieterOwn, positions(own))
		require.Equal(t, []string{"PartyRegistered", "KeyAdded"}, []string{own[0].Act, own[1].Act})

		none, err := s.Events(ctx, Position{}, EventFilter{Party: "nobody", Record: "agreement"}, 1000)
		require.NoError(t, err)
		require.Empty(t, none)
		one, err := s.Events(ctx, Position{}, EventFilter{ID: id("a-concluded"), Acts: []string{"InterestExpressed", "OrderPlaced"}}, 1000)
		require.NoError(t, err)
		require.Len(t, one, 2)
		require.Equal(t, []string{"InterestExpressed", "OrderPlaced"}, []string{one[0].Act, one[1].Act})
		for _, e := range one {
			require.Equal(t, id("a-concluded"), e.RecordID)
			require.ElementsMatch(t, []string{customer, supplier, anbieter}, e.Parties)
		}
	})

	t.Run("positions", func(t *testing.T) {
		for _, c := range []struct {
			in   string
			want Position
		}{
			{"0-0", Position{}},
			{"12-3", Position{Block: 12, Tx: 3}},
			{"18446744073709551615-4294967295", Position{Block: 1<<64 - 1, Tx: 1<<32 - 1}},
		} {
			p, err := ParsePosition(c.in)
			require.NoError(t, err, c.in)
			require.Equal(t, c.want, p)
			require.Equal(t, c.in, p.String())
		}
		for _, in := range []string{"", "12", "a-1", "1-x", "-", "1-", "-1", "1-2-3", "1-4294967296", "18446744073709551616-0", "+1-2", " 1-2"} {
			_, err := ParsePosition(in)
			require.Error(t, err, "%q", in)
		}
	})
}
