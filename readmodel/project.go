package readmodel

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/schema"
)

// projected are the record kinds the read model keeps, with their acts.
var projected = []schema.Record{schema.RecordParty, schema.RecordOffering, schema.RecordAgreement}

func isProjected(kind string) bool {
	for _, r := range projected {
		if string(r) == kind {
			return true
		}
	}
	return false
}

// Project follows the source from the next block on and applies every
// block, until ctx ends or a block cannot be applied. A stream that fails
// (the ledger unreachable) is opened again after a pause; a projection
// error (ErrMismatch, a gap) stops it, is kept for Failed and WaitFor, and
// is returned.
func (s *Store) Project(ctx context.Context, src client.Changer, log *slog.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { // Close ends the projection too
		select {
		case <-s.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	err := s.project(ctx, src, log)
	select {
	case <-s.closed:
		return ErrClosed
	default:
		return err
	}
}

func (s *Store) project(ctx context.Context, src client.Changer, log *slog.Logger) error {
	pause := 100 * time.Millisecond
	for {
		err := s.follow(ctx, src)
		var stopped *applyError
		if errors.As(err, &stopped) {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.fail(stopped.err)
			log.Error("read model: projection stopped", "err", stopped.err, "block", stopped.block)
			return stopped.err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		log.Warn("read model: block stream failed; reopening", "err", err, "next", s.Next(), "pause", pause)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closed:
			return ErrClosed
		case <-time.After(pause):
		}
		pause = min(2*pause, 5*time.Second)
	}
}

// applyError is a block the projection could not apply.
type applyError struct {
	block uint64
	err   error
}

func (e *applyError) Error() string { return e.err.Error() }

// maxBatch bounds the blocks applied in one SQLite transaction.
const maxBatch = 64

// follow reads the stream in the background and applies what has arrived
// in one transaction: one block when projection keeps up, up to maxBatch
// when it catches up. It returns when the stream fails (to be opened
// again) or a batch cannot be applied (*applyError).
func (s *Store) follow(ctx context.Context, src client.Changer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type item struct {
		b   *client.BlockChanges
		err error
	}
	items := make(chan item, maxBatch)
	go func() {
		defer close(items)
		for b, err := range src.Changes(ctx, s.Next()) {
			select {
			case items <- item{b, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	for {
		it, ok := <-items
		if !ok {
			return fmt.Errorf("readmodel: the block stream ended")
		}
		if it.err != nil {
			return it.err
		}
		batch := []*client.BlockChanges{it.b}
		var streamErr error
	more:
		for len(batch) < maxBatch {
			select {
			case it, ok := <-items:
				if !ok {
					break more
				}
				if it.err != nil {
					streamErr = it.err
					break more
				}
				batch = append(batch, it.b)
			default:
				break more
			}
		}
		if err := s.apply(ctx, batch); err != nil {
			if len(batch) > 1 { // find the block at fault, applying the others
				for _, b := range batch {
					if err = s.Apply(ctx, b); err != nil {
						return &applyError{block: b.Number, err: err}
					}
				}
			} else {
				return &applyError{block: batch[0].Number, err: err}
			}
		}
		if streamErr != nil {
			return streamErr
		}
	}
}

func (s *Store) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed == nil {
		s.failed = err
		close(s.grown)
		s.grown = make(chan struct{})
	}
}

// Apply projects one block in one SQLite transaction, with the checkpoint.
// A block before the checkpoint is skipped (a stream may repeat one); a
// block after it is a gap and refused.
func (s *Store) Apply(ctx context.Context, b *client.BlockChanges) error {
	return s.apply(ctx, []*client.BlockChanges{b})
}

// apply projects consecutive blocks in one SQLite transaction, with the
// checkpoint after the last: all of them or none.
func (s *Store) apply(ctx context.Context, blocks []*client.BlockChanges) error {
	next := s.Next()
	for len(blocks) > 0 && blocks[0].Number < next {
		blocks = blocks[1:]
	}
	if len(blocks) == 0 {
		return nil
	}
	for i, b := range blocks {
		if want := next + uint64(i); b.Number != want {
			return fmt.Errorf("readmodel: block %d comes where block %d is expected: a gap", b.Number, want)
		}
	}
	last := blocks[len(blocks)-1]
	q, err := s.w.begin(ctx)
	if err != nil {
		return fmt.Errorf("readmodel: begin block %d: %w", blocks[0].Number, err)
	}
	var head int64
	for _, b := range blocks {
		h, err := s.applyBlock(ctx, q, b)
		if err != nil {
			return errors.Join(err, q.Rollback())
		}
		head = max(head, h)
	}
	if _, err := q.ExecContext(ctx, `UPDATE meta SET value = ? WHERE name = 'next'`, strconv.FormatUint(last.Number+1, 10)); err != nil {
		return errors.Join(err, q.Rollback())
	}
	if err := q.Commit(); err != nil {
		return fmt.Errorf("readmodel: commit block %d: %w", last.Number, err)
	}
	s.mu.Lock()
	s.next = last.Number + 1
	if head > 0 {
		s.head = head
	}
	close(s.grown)
	s.grown = make(chan struct{})
	lag := s.lag
	s.mu.Unlock()
	if lag != nil {
		for _, b := range blocks {
			if !b.Committed.IsZero() {
				lag(time.Since(b.Committed))
			}
		}
	}
	return nil
}

// applyBlock applies a block's transactions and returns the last event's
// sequence number (0 if it had none).
func (s *Store) applyBlock(ctx context.Context, q *wtx, b *client.BlockChanges) (int64, error) {
	var head int64
	for _, t := range b.Transactions {
		pos := order(b.Number, t.Index)
		var touched []schema.Ref
		seen := map[schema.Ref]bool{}
		written := map[string][]byte{}
		for _, w := range t.Writes {
			written[w.Key] = w.Value
			obj, attrs, ok := schema.SplitKey(w.Key)
			if !ok {
				continue
			}
			var ref schema.Ref
			switch {
			case isProjected(obj) && len(attrs) == 1:
				ref = schema.Ref{Record: schema.Record(obj), ID: attrs[0]}
			case obj == schema.ActObject && len(attrs) == 3 && isProjected(attrs[0]):
				ref = schema.Ref{Record: schema.Record(attrs[0]), ID: attrs[1]}
			default:
				continue
			}
			if w.Delete {
				if _, err := q.ExecContext(ctx, `DELETE FROM state WHERE key = ?`, w.Key); err != nil {
					return 0, fmt.Errorf("readmodel: block %d: %w", b.Number, err)
				}
			} else if _, err := q.ExecContext(ctx, `INSERT INTO state(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, w.Key, w.Value); err != nil {
				return 0, fmt.Errorf("readmodel: block %d: %w", b.Number, err)
			}
			if !seen[ref] {
				seen[ref] = true
				touched = append(touched, ref)
			}
		}
		var ev *schema.Event
		if t.Event != nil {
			ev = &schema.Event{}
			if err := json.Unmarshal(t.Event.Payload, ev); err != nil {
				return 0, fmt.Errorf("%w: block %d, tx %s: its event does not decode: %v", ErrMismatch, b.Number, t.ID, err)
			}
			if err := checkEvent(ev, t, written); err != nil {
				return 0, fmt.Errorf("%w: block %d, tx %s: %v", ErrMismatch, b.Number, t.ID, err)
			}
		}
		for _, ref := range touched {
			if err := s.refresh(ctx, q, ref, pos, ev); err != nil {
				return 0, fmt.Errorf("readmodel: block %d, %s %s: %w", b.Number, ref.Record, ref.ID, err)
			}
		}
		if ev != nil {
			seq, err := s.addEvent(ctx, q, b.Number, t, ev)
			if err != nil {
				return 0, fmt.Errorf("readmodel: block %d, event of %s: %w", b.Number, t.ID, err)
			}
			head = seq
		}
	}
	return head, nil
}

// checkEvent checks the record an event names against the value its
// transaction wrote.
func checkEvent(ev *schema.Event, t *client.TxChanges, written map[string][]byte) error {
	if ev.TxID != t.ID {
		return fmt.Errorf("the event names transaction %s", ev.TxID)
	}
	if !ev.HashesRecord() {
		return nil
	}
	ref, err := schema.ParseRef("id", schema.Record(ev.Record), ev.ID)
	if err != nil {
		return fmt.Errorf("the event names %s %q: %v", ev.Record, ev.ID, err)
	}
	value, ok := written[ref.Key()]
	if !ok {
		return fmt.Errorf("its transaction did not write %s %s, which its event names", ev.Record, ev.ID)
	}
	sum := sha256.Sum256(value)
	if got := "0x" + hex.EncodeToString(sum[:]); got != ev.RecordHash {
		return fmt.Errorf("%s %s hashes to %s, its event says %s", ev.Record, ev.ID, got, ev.RecordHash)
	}
	return nil
}

// order is a position as one integer: what "created" and "updated" sort by.
func order(block uint64, tx uint32) int64 { return int64(block)<<20 | int64(tx) }

// refresh rebuilds a record's read form from the mirrored state, and its
// row in the listing tables.
func (s *Store) refresh(ctx context.Context, q *wtx, ref schema.Ref, pos int64, ev *schema.Event) error {
	var stored []byte
	err := q.QueryRowContext(ctx, `SELECT value FROM state WHERE key = ?`, ref.Key()).Scan(&stored)
	if errors.Is(err, sql.ErrNoRows) {
		return s.drop(ctx, q, ref)
	}
	if err != nil {
		return err
	}
	acts, err := actsOf(ctx, q, ref)
	if err != nil {
		return err
	}
	body, err := schema.ReadOf(stored, acts)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(stored)
	hash := "0x" + hex.EncodeToString(sum[:])
	if _, err := q.ExecContext(ctx, `INSERT INTO records(kind, id, body, block, tx) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(kind, id) DO UPDATE SET body = excluded.body, block = excluded.block, tx = excluded.tx`,
		string(ref.Record), ref.ID, body, pos>>20, pos&(1<<20-1)); err != nil {
		return err
	}
	if ev != nil && ev.HashesRecord() && ev.Record == string(ref.Record) && ev.ID == ref.ID {
		if _, err := q.ExecContext(ctx, `INSERT INTO checked(kind, id, stored_hash) VALUES (?, ?, ?)
			ON CONFLICT(kind, id) DO UPDATE SET stored_hash = excluded.stored_hash`, string(ref.Record), ref.ID, hash); err != nil {
			return err
		}
	} else if _, err := q.ExecContext(ctx, `DELETE FROM checked WHERE kind = ? AND id = ?`, string(ref.Record), ref.ID); err != nil {
		return err
	}
	switch ref.Record {
	case schema.RecordOffering:
		return s.indexOffering(ctx, q, stored, pos)
	case schema.RecordAgreement:
		return indexAgreement(ctx, q, stored, pos)
	}
	return nil
}

func actsOf(ctx context.Context, q querier, ref schema.Ref) ([][]byte, error) {
	prefix := schema.ActPrefix(ref.Record, ref.ID)
	rows, err := q.QueryContext(ctx, `SELECT value FROM state WHERE key >= ? AND key < ? ORDER BY key`, prefix, prefix+string(utf8.MaxRune))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var acts [][]byte
	for rows.Next() {
		var v []byte
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		acts = append(acts, v)
	}
	return acts, rows.Err()
}

func (s *Store) drop(ctx context.Context, q *wtx, ref schema.Ref) error {
	stmts := []string{`DELETE FROM records WHERE kind = ? AND id = ?`, `DELETE FROM checked WHERE kind = ? AND id = ?`}
	for _, st := range stmts {
		if _, err := q.ExecContext(ctx, st, string(ref.Record), ref.ID); err != nil {
			return err
		}
	}
	var more []string
	switch ref.Record {
	case schema.RecordOffering:
		more = []string{`DELETE FROM offerings WHERE id = ?`, `DELETE FROM offering_leika WHERE id = ?`, `DELETE FROM offerings_fts WHERE id = ?`}
	case schema.RecordAgreement:
		more = []string{`DELETE FROM agreements WHERE id = ?`}
	}
	for _, st := range more {
		if _, err := q.ExecContext(ctx, st, ref.ID); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) indexOffering(ctx context.Context, q *wtx, stored []byte, pos int64) error {
	var o schema.Offering
	if err := json.Unmarshal(stored, &o); err != nil {
		return fmt.Errorf("decode offering: %w", err)
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO offerings(id, supplier, anbieter, status, themenfeld, kind, title, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET supplier = excluded.supplier, anbieter = excluded.anbieter, status = excluded.status,
		themenfeld = excluded.themenfeld, kind = excluded.kind, title = excluded.title, updated = excluded.updated`,
		o.Offering, o.Supplier, o.Anbieter, o.Status, o.Themenfeld, o.Kind, o.Title, pos, pos); err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM offering_leika WHERE id = ?`, o.Offering); err != nil {
		return err
	}
	for _, k := range o.LeiKaKeys {
		if _, err := q.ExecContext(ctx, `INSERT OR IGNORE INTO offering_leika(leika, id) VALUES (?, ?)`, k, o.Offering); err != nil {
			return err
		}
	}
	supplier := o.Supplier
	var name string
	err := q.QueryRowContext(ctx, `SELECT json_extract(body, '$.name') FROM records WHERE kind = 'party' AND id = ?`, o.Supplier).Scan(&name)
	if err == nil {
		supplier += " " + name
	} else if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM offerings_fts WHERE id = ?`, o.Offering); err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `INSERT INTO offerings_fts(id, title, description, ozg, leika, supplier) VALUES (?, ?, ?, ?, ?, ?)`,
		o.Offering, o.Title, o.Description, strings.Join(o.OZGIDs, " "), strings.Join(o.LeiKaKeys, " "), supplier)
	return err
}

func indexAgreement(ctx context.Context, q *wtx, stored []byte, pos int64) error {
	var a schema.Agreement
	if err := json.Unmarshal(stored, &a); err != nil {
		return fmt.Errorf("decode agreement: %w", err)
	}
	_, err := q.ExecContext(ctx, `INSERT INTO agreements(id, customer, supplier, anbieter, offering, status, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET customer = excluded.customer, supplier = excluded.supplier, anbieter = excluded.anbieter,
		offering = excluded.offering, status = excluded.status, updated = excluded.updated`,
		a.ID, a.Customer, a.Supplier, a.Anbieter, a.Offering, a.Status, pos, pos)
	return err
}
